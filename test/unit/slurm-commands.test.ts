// Unit tests for coord/pools/slurm-commands.ts (the srun arguments of a pool and of an
// attach step, job names and sites, squeue's and sinfo's lines, Slurm's time forms, the
// words for how a Slurm job ended) and for the show-hosts lines of a Slurm host's pools.

import t from 'tap';
import {
  endReason, isOver, isPending, jobName, keyOfName, minutes, parsePartition, parseQueue, parseSlurmTime, poolSrunArgs,
  shellWord, siteOf, slurmError, srunJobId, stepSrunArgs,
} from '../../coord/pools/slurm-commands.js';
import type { SlurmSpec } from '../../coord/config/host-spec.js';
import { allocationLines } from '../../console/render.js';
import type { HostInfo } from '../../protocol/messages.js';

const SPEC: SlurmSpec = { partition: 'debug', account: null, qos: null, timeSec: null, cpus: null, maxPools: 2 };

t.test('a pool: one task on one node, named, in the partition; account, QoS, CPUs, time and features when given', async (t) => {
  t.strictSame(poolSrunArgs(SPEC, { features: [], timeSec: null, whole: true }, 'jms-x-k'),
    ['--partition=debug', '--nodes=1', '--ntasks=1', '--job-name=jms-x-k', '--chdir=/']);
  t.strictSame(poolSrunArgs({ ...SPEC, account: 'lab', qos: 'normal', cpus: 8 }, { features: ['big', 'tagA'], timeSec: 61, whole: false }, 'n'), [
    '--partition=debug', '--account=lab', '--qos=normal', '--cpus-per-task=8', '--time=2', '--constraint=big&tagA',
    '--nodes=1', '--ntasks=1', '--job-name=n', '--chdir=/',
  ], 'time in whole minutes, rounded up; features joined with &');
  t.strictSame(stepSrunArgs('1234'), ['--jobid=1234', '--overlap', '--nodes=1', '--ntasks=1', '--chdir=/']);
  t.equal(minutes(1), 1);
  t.equal(minutes(3600), 60);
});

t.test("names: a site's own jobs are found by their prefix, nobody else's", async (t) => {
  const site = siteOf('login1', '/home/a/jms');
  t.match(site, /^[0-9a-f]{10}$/);
  t.equal(siteOf('login1', '/home/a/jms'), site, 'the same across restarts');
  t.not(siteOf('login1', '/home/a/other'), site, 'another output directory is another coordinator');
  t.equal(keyOfName(site, jobName(site, 'mx1-ab12cd-3')), 'mx1-ab12cd-3');
  t.equal(keyOfName(site, 'jms-0000000000-mx1-ab12cd-3'), null);
  t.equal(keyOfName(site, `jms-${site}-`), null);
  t.equal(keyOfName(site, 'my-own-job'), null);
});

t.test("squeue's lines: this site's jobs by key, with state, reason and node", async (t) => {
  const site = 'abc0123456';
  const text = [
    `12\tRUNNING\tNone\tn1\tjms-${site}-k1`,
    `13\tPENDING\tResources\t\tjms-${site}-k2`,
    '14\tRUNNING\tNone\tn2\tsomebody-else',
    `15\tNODE_FAIL\tNodeDown\tn1\tjms-${site}-k3`,
    `16\tRUNNING\tNone\tn2\tjms-other00000-k4`,
    'garbage',
    '',
  ].join('\n');
  const rows = parseQueue(text, site);
  t.strictSame([...rows.keys()], ['k1', 'k2', 'k3']);
  t.strictSame(rows.get('k2'), { id: '13', state: 'PENDING', reason: 'Resources', node: '' });
  t.ok(isPending('PENDING') && isPending('CONFIGURING'));
  t.notOk(isPending('RUNNING'));
  for (const s of ['COMPLETED', 'COMPLETING', 'CANCELLED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'OUT_OF_MEMORY']) t.ok(isOver(s), s);
  for (const s of ['PENDING', 'RUNNING', 'SUSPENDED']) t.notOk(isOver(s), s);
});

t.test('how a Slurm job ended, in words', async (t) => {
  t.equal(endReason({ id: '15', state: 'NODE_FAIL', reason: 'NodeDown', node: 'n1' }), 'its node n1 failed (Slurm job 15: NODE_FAIL)');
  t.equal(endReason({ id: '9', state: 'TIMEOUT', reason: 'None', node: 'n2' }), 'its Slurm job 9 reached its time limit (TIMEOUT)');
  t.equal(endReason({ id: '9', state: 'CANCELLED', reason: 'None', node: '' }), 'its Slurm job 9 was cancelled (CANCELLED)');
  t.equal(endReason({ id: '9', state: 'FAILED', reason: 'None', node: '' }), 'its Slurm job 9 ended (FAILED)');
});

t.test("srun's own lines", async (t) => {
  t.equal(srunJobId('srun: job 1234 queued and waiting for resources'), '1234');
  t.equal(srunJobId('srun: job 1234 has been allocated resources'), '1234');
  t.equal(srunJobId('srun: jobid 77: nodes(1):`n1\', cpu counts: 1(x1)'), '77');
  t.equal(srunJobId('pool 12: a job 1234 ended'), null);
  t.equal(srunJobId('srun: error: Unable to allocate resources: Invalid feature specification'), null);
  t.equal(slurmError('srun: error: Unable to allocate resources: Invalid feature specification'), 'Unable to allocate resources: Invalid feature specification');
  t.equal(slurmError('slurmstepd-n1: error: execve(): node: No such file or directory'), 'execve(): node: No such file or directory');
  t.equal(slurmError('pool 12: error: not ours'), null);
});

t.test("Slurm's time forms (sinfo %l) and a partition's features and limit", async (t) => {
  const cases: Array<[string, number | null | undefined]> = [
    ['infinite', null], ['UNLIMITED', null], ['30', 1800], ['30:15', 1815], ['2:00:00', 7200], ['1-00:00:00', 86400],
    ['1-2', 93600], ['1-2:30', 95400], ['soon', undefined], ['', undefined],
  ];
  for (const [text, sec] of cases) t.equal(parseSlurmTime(text), sec, text);
  const p = parsePartition('big,tagA|1:00:00\nsmall|2:00:00\n');
  t.strictSame(p === null ? null : { f: [...p.features].sort(), m: p.maxTimeSec }, { f: ['big', 'small', 'tagA'], m: 7200 });
  t.strictSame(p?.kinds.map((k) => [...k].sort()), [['big', 'tagA'], ['small']], 'one kind of node per line');
  t.strictSame(parsePartition('(null)|infinite\n'), { features: new Set(), kinds: [new Set()], maxTimeSec: null });
  t.equal(parsePartition(''), null, 'no nodes: no such partition');
});

t.test('shell words for a command line on the login node', async (t) => {
  t.equal(shellWord('--constraint=big'), '--constraint=big');
  t.equal(shellWord('--constraint=big&tagA'), "'--constraint=big&tagA'");
  t.equal(shellWord("it's"), "'it'\\''s'");
});

t.test("show-hosts: a Slurm host's pools, one line each", async (t) => {
  const host: HostInfo = {
    name: 'cluster', kind: 'slurm', state: 'up', why: null, tags: ['big'], slots: 4, used: 1, pools: 2, cost: 10, pause: null, windowOpen: true,
    allocations: [
      { pool: 3, id: '1234', state: 'RUNNING', reason: null, node: 'n1', features: ['big'], timeSec: 120, jobs: 1 },
      { pool: 4, id: '1235', state: 'PENDING', reason: 'Resources', node: null, features: ['big', 'tagA'], timeSec: null, jobs: 0 },
      { pool: 5, id: null, state: 'PENDING', reason: null, node: null, features: [], timeSec: null, jobs: 0 },
    ],
  };
  t.strictSame(allocationLines(host), [
    '  pool 3: Slurm job 1234 RUNNING on n1 (-C big, 2m), 1 job',
    '  pool 4: Slurm job 1235 PENDING (Resources) (-C big&tagA), 0 jobs',
    '  pool 5: Slurm job (not queued yet) PENDING, 0 jobs',
  ]);
  t.strictSame(allocationLines({ ...host, allocations: [] }), []);
});
