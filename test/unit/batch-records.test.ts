// The journal's batch records, read back as a restart reads them: a `batch` record with
// its jobs (as submit-batch writes it, one record for the whole batch) and its compacted
// form (the batch alone, its jobs as `new` records); jobs with dependencies, retries and
// their earlier attempts; exit hooks started and ended; and bad records rejected.

import t from 'tap';
import { parseRecord, recordsFor, type BatchRecord, type JournalRecord, type NewJob } from '../../coord/persist/records.js';
import { hookKey, replay } from '../../coord/persist/recovery.js';
import type { Job } from '../../coord/core/state.js';

function json<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}

const BATCH: BatchRecord = {
  key: 'alice/sweep', name: 'sweep', namespace: 'alice', at: 1000, needs: ['openfoam'], notify: 'echo done', build: 'make',
  keep: false, windows: 'mon-fri 19:00-08:00', suspendOutside: true,
};

const JOBS: NewJob[] = [
  { id: 1, cmd: 'make', at: 1000, batch: 'alice/sweep', kind: 'build', pin: 'h1', name: 'build@h1', save: '', needs: ['openfoam'] },
  { id: 2, cmd: './mesh.sh', at: 1000, batch: 'alice/sweep', name: 'mesh', save: 'results', files: [{ from: '/home/a/base.msh', as: 'input.msh' }], retries: 1 },
  {
    id: 3, cmd: './solve.sh 100', at: 1000, batch: 'alice/sweep', name: 'solve[re=100]', save: 'results', after: [2], priority: 3, beginAt: 5000,
    onExit: [{ when: 'failed', command: 'mail' }, { when: { exitCode: 3 }, command: 'echo three' }, { when: 'any', command: 'true' }],
  },
];

t.test('a batch record with its jobs creates them all, with every option', async (t) => {
  const rec: JournalRecord = { r: 'batch', ...BATCH, jobs: JOBS };
  t.strictSame(parseRecord(json(rec)), rec, 'parses as written');
  const rep = replay([json(rec)]);
  t.equal(rep.rejected, 0);
  t.strictSame(rep.batches.get('alice/sweep'), { ...BATCH, needs: ['openfoam'] });
  t.equal(rep.jobs.size, 3);
  t.equal(rep.nextJobId, 4);
  t.match(rep.jobs.get(3), { batch: 'alice/sweep', name: 'solve[re=100]', after: [2], priority: 3, beginAt: 5000, save: 'results', onExit: JOBS[2]?.onExit });
  t.match(rep.jobs.get(1), { kind: 'build', pin: 'h1', save: '' });
  t.match(rep.jobs.get(2), { files: [{ from: '/home/a/base.msh', as: 'input.msh' }], retries: 1 });
});

t.test('compacted: the batch alone, then its jobs as new records with their attempts, then hooks', async (t) => {
  const started = { poolId: 4, poolKey: 'k4', host: 'h2', pid: 77, dir: '/srv/jms/jms_a_2_77', startedAt: 2000 };
  const job: Job = {
    id: 2, command: './mesh.sh', submittedAt: 1000, batch: 'alice/sweep', name: 'mesh', save: 'results', retries: 2,
    attempts: [{ tag: 'finished', started: { ...started, host: 'h1' }, endedAt: 2500, result: { kind: 'exited', code: 1 }, archived: true }],
    state: { tag: 'finished', started: { ...started, startedAt: 3000 }, endedAt: 3500, result: { kind: 'exited', code: 0 }, archived: true },
  };
  const records: JournalRecord[] = [
    { r: 'batch', ...BATCH },
    ...recordsFor(job),
    { r: 'hook', job: 2, n: 0, state: 'started', at: 3600 },
    { r: 'hook', job: 2, n: 0, state: 'ended', ok: false, how: 'exit code 9', at: 3700 },
    { r: 'hook', batch: 'alice/sweep', n: 0, state: 'started', at: 3800 },
  ];
  for (const r of records) t.notMatch(parseRecord(json(r)), { invalid: String }, `${r.r} parses`);
  const rep = replay(json(records) as unknown[]);
  t.equal(rep.rejected, 0, 'nothing rejected');
  t.strictSame(rep.jobs.get(2), job, 'the job with its earlier attempt, deep-equal');
  t.same(rep.hooks.get(hookKey({ job: 2 }, 0)), { of: { job: 2 }, n: 0, started: 3600, ended: { ok: false, how: 'exit code 9', at: 3700 } });
  t.same(rep.hooks.get(hookKey({ batch: 'alice/sweep' }, 0)), { of: { batch: 'alice/sweep' }, n: 0, started: 3800, ended: null }, 'started, never ended: interrupted');
});

t.test('bad batch and hook records are rejected, the rest still read', async (t) => {
  const bad: unknown[] = [
    { r: 'batch', ...BATCH, key: 7 },
    { r: 'batch', ...BATCH, jobs: [{ id: 'x' }] },
    { r: 'hook', job: 2, n: -1, state: 'started', at: 1 },
    { r: 'hook', job: 2, n: 0, state: 'maybe', at: 1 },
    { r: 'new', id: 9, cmd: 'x', at: 1, after: ['a'] },
    { r: 'new', id: 9, cmd: 'x', at: 1, retries: -1 },
  ];
  for (const b of bad) t.match(parseRecord(b), { invalid: String }, JSON.stringify(b));
  const rep = replay([...bad, { r: 'new', id: 1, cmd: 'true', at: 1 }]);
  t.equal(rep.rejected, bad.length);
  t.equal(rep.jobs.size, 1);
});
