// Slurm hosts end to end, on the test bed's real cluster (slurmctld here, nodes n1 with
// features big,tagA and n2 with small, each in its own namespaces with its own
// /scratch/jms): every pool is a Slurm job under srun. Jobs land on the node their tags
// ask for, their output on that node's disk; a pool that Slurm has not started yet
// holds its jobs queued and they say what it waits for; suspend, resume and kill reach
// the job on its node; a coordinator killed with SIGKILL is restarted and adopts its
// cluster jobs with their real exit codes (and cancels a stray job of its own); a
// node's link taken down makes its job lost with Slurm's NODE_FAIL; workstations are
// preferred to the cluster, the cluster can be asked for or forbidden by tag, a
// --timeout sets the pool's time and one too long is refused; and nothing is left in
// squeue at the end.

import fs from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import t, { type Test } from 'tap';
import { parseReply } from '../../protocol/parse.js';
import type { HostInfo } from '../../protocol/messages.js';
import { siteOf } from '../../coord/pools/slurm-commands.js';
import { connectRaw, type RawClient } from '../helpers/raw-client.js';
import { consoleRun, crash, ok, site, type Site } from '../helpers/site.js';
import {
  exec, holdBoxes, host, linkDown, linkUp, node, procStateOnHost, processesOnHost, sinfo, slurm, squeue, sshHosts, sshOptions,
  type SlurmNode,
} from '../helpers/testbed.js';
import { waitFor } from '../helpers/wait.js';
import { clusterSite, noneLeft, ours, start } from '../helpers/slurm-site.js';

const CLUSTER = (extra = ''): string => `hosts:
  - name: local
    slots: 1
  - name: cluster
    slurm:
      partition: debug
      max_pools: 3
      time: 10m
    tags: [big, small, tagA, cluster]
    dir: /scratch/jms
${extra}`;

/** `Field: value` lines of `info`. */
async function info(s: Site, jobId: number): Promise<Map<string, string>> {
  const text = await ok(s, `info ${jobId}`);
  return new Map(text.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
}

async function untilStatus(s: Site, jobId: number, re: RegExp, ms = 20_000): Promise<string> {
  return waitFor(`JobID ${jobId}'s status to match ${re}`, async () => {
    const st = await ok(s, `status ${jobId}`);
    return re.test(st) ? st : false;
  }, ms, 100);
}

function jobIdOf(answer: string): number {
  const m = /^JobID: (\d+),/.exec(answer);
  if (m === null) throw new Error(`not a submit answer: ${answer}`);
  return Number(m[1]);
}

/** A job's stdout, read from the disk of the node it ran on. */
function stdoutOn(n: SlurmNode, dir: string, jobId: number): string | null {
  const path = join(n.dirs.scratch, basename(dir), `stdout_${jobId}`);
  return fs.existsSync(path) ? fs.readFileSync(path, 'utf8') : null;
}

/** One protocol client per site, for show-hosts (the console's rendering of it is another branch's). */
const raws = new Map<Site, Promise<RawClient>>();
let requestId = 0;

function rawOf(t: Test, s: Site): Promise<RawClient> {
  let raw = raws.get(s);
  if (raw === undefined) {
    raw = connectRaw(s.jmsIn, s.jmsOut);
    raws.set(s, raw);
    t.teardown(async () => (await raw)?.close());
  }
  return raw;
}

async function showHosts(t: Test, s: Site): Promise<HostInfo[]> {
  const raw = await rawOf(t, s);
  const id = ++requestId;
  await raw.request({ kind: 'show-hosts', id });
  const frames = await waitFor('the show-hosts answer', () => {
    const r = raw.repliesTo(id);
    return r.some((f) => f['kind'] === 'end') ? r : false;
  });
  const hosts: HostInfo[] = [];
  for (const f of frames) {
    const reply = parseReply(f);
    if (!('invalid' in reply) && reply.kind === 'host') hosts.push(reply.host);
  }
  return hosts;
}

t.test('jobs land on the node their tags ask for; show-hosts has the Slurm jobs; shutdown leaves none', async (t) => {
  const cl = slurm(t);
  if (cl === null) return;
  const [n1, n2] = [node(cl, 'n1'), node(cl, 'n2')];
  await holdBoxes(t, [n1, n2]);
  const s = clusterSite(t, CLUSTER());
  const c = await start(t, s, cl);
  await waitFor('the cluster up', async () => (await showHosts(t, s)).find((h) => h.name === 'cluster')?.state === 'up', 10_000, 100);
  const both = await consoleRun(s, 'submit --needs big,small -- true');
  t.match([both.code, both.stderr], [1, /no node of cluster has all of big, small \(its nodes have big,tagA; small\)/], 'features on no one node: refused');
  const t0 = Date.now();
  const big = jobIdOf(await ok(s, 'submit --needs big -- hostname; echo big-$JMS_HOST'));
  const small = jobIdOf(await ok(s, 'submit --needs small -- hostname'));
  const any = jobIdOf(await ok(s, 'submit --needs cluster -- hostname; sleep 4'));
  await untilStatus(s, big, /Finished/);
  t.comment(`srun to a finished job on the cluster: ${Date.now() - t0} ms`);
  await untilStatus(s, small, /Finished/);
  for (const [id, n, other, out] of [[big, n1, n2, 'n1\nbig-cluster\n'], [small, n2, n1, 'n2\n']] as const) {
    const i = await info(s, id);
    t.equal(i.get('Status'), 'Finished (succeeded, exit code 0)', `JobID ${id} succeeded`);
    const dir = i.get('Directory') ?? '';
    t.match(dir, /^\/scratch\/jms\/jms_/, 'its directory is under the cluster dir');
    t.equal(stdoutOn(n, dir, id), out, `its output is on ${n.name}'s disk`);
    t.equal(stdoutOn(other, dir, id), null, `and not on ${other.name}'s`);
  }
  const running = await untilStatus(s, any, /Active/);
  t.match(running, /Active/, 'a job needing only the host tag runs on some node');
  const hosts = await showHosts(t, s);
  const cluster = hosts.find((h) => h.name === 'cluster');
  const mine = await ours(cl, s);
  t.ok(mine.length > 0, `Slurm runs this coordinator's jobs: ${JSON.stringify(mine)}`);
  const a = cluster?.allocations?.find((x) => x.jobs === 1);
  t.ok(a !== undefined && mine.some((j) => j.id === a.id && j.state === 'RUNNING' && j.nodes === a.node),
    `show-hosts names the pool's Slurm job, its state and node: ${JSON.stringify(cluster?.allocations)} vs ${JSON.stringify(mine)}`);
  t.equal(hosts.find((h) => h.name === 'local')?.allocations, undefined, 'other hosts have no allocations');
  const journal = fs.readFileSync(join(s.out, '.jms', 'journal'), 'utf8');
  for (const j of mine) t.ok(journal.includes(`"slurm":"${j.id}"`), `the journal has Slurm job ${j.id}`);
  const latencies = [...c.log().matchAll(/started as Slurm job \d+ on n\d, (\d+) ms after srun/g)].map((m) => Number(m[1]));
  t.ok(latencies.length >= 2, `each pool's start is logged with its latency: ${latencies.join(', ')} ms from srun to the pool's first frame`);
  t.match(await ok(s, 'shutdown'), /^Served 3 jobs/);
  await c.exited;
  await noneLeft(t, cl, s);
});

t.test("a pool Slurm has not started holds its jobs queued, saying what Slurm job they wait for", async (t) => {
  const cl = slurm(t);
  if (cl === null) return;
  const [n1, n2] = [node(cl, 'n1'), node(cl, 'n2')];
  await holdBoxes(t, [], [n1, n2]);
  const s = clusterSite(t, CLUSTER());
  const c = await start(t, s, cl);
  // Every CPU of both nodes taken by jobs of our own.
  const fillers = [n1, n2].map((n) => exec(['srun', '--chdir=/', '-p', cl.partition, '-w', n.name, '-c', String(n.cpus), '-J', 'filler', 'sleep', '60'],
    { env: cl.env, timeoutMs: 90_000 }));
  t.teardown(async () => {
    await exec(['scancel', '--name=filler'], { env: cl.env });
    await Promise.allSettled(fillers);
  });
  await waitFor('both nodes to be full', async () => (await squeue(cl)).filter((j) => j.name === 'filler' && j.state === 'RUNNING').length === 2, 15_000, 100);
  const t0 = Date.now();
  const id = jobIdOf(await ok(s, 'submit --needs big -- hostname'));
  const st = await untilStatus(s, id, /Queued \(waiting for Slurm job \d+: \w+\)/, 10_000);
  t.comment(`pending seen in status ${Date.now() - t0} ms after submit`);
  const slurmId = /Slurm job (\d+)/.exec(st)?.[1] ?? '';
  const job = (await ours(cl, s)).find((j) => j.id === slurmId);
  t.match(job, { state: 'PENDING' }, `Slurm job ${slurmId} is pending: ${st}`);
  t.ok(st.includes(`Slurm job ${slurmId}: ${job?.reason ?? '?'}`), "status gives squeue's reason");
  const pending = (await showHosts(t, s)).find((h) => h.name === 'cluster')?.allocations?.[0];
  t.match(pending, { id: slurmId, state: 'PENDING', features: ['big'] }, 'show-hosts: the pending pool with its Slurm job');
  t.notOk(pending?.reason === null, `with its reason: ${JSON.stringify(pending)}`);
  const other = jobIdOf(await ok(s, 'submit --needs small -- hostname'));
  await untilStatus(s, other, /Queued \(waiting for Slurm job \d+/, 10_000);
  t.equal((await ours(cl, s)).filter((j) => j.state === 'PENDING').length, 2, 'two pools pending, one per feature');
  const onN1 = (await squeue(cl)).find((j) => j.name === 'filler' && j.nodes === 'n1');
  t.ok(onN1 !== undefined, 'the filler of n1');
  t.equal((await exec(['scancel', onN1?.id ?? ''], { env: cl.env })).code, 0, 'n1 freed');
  const t1 = Date.now();
  await untilStatus(s, id, /Finished/, 20_000);
  t.comment(`the pool started and ran its job ${Date.now() - t1} ms after n1 was freed`);
  t.equal((await info(s, id)).get('Status'), 'Finished (succeeded, exit code 0)');
  t.match(await ok(s, `status ${other}`), /Queued \(waiting for Slurm job \d+: \w+\)/, 'the small one still waits for n2');
  await ok(s, 'shutdown');
  await c.exited;
  await noneLeft(t, cl, s);
  t.match(c.log(), /Job has been cancelled|revoked|cancel/i, 'the pending pool was cancelled at shutdown');
});

t.test("a pool that cannot start: its jobs wait, saying Slurm's error; the cluster is tried again", async (t) => {
  const cl = slurm(t);
  if (cl === null) return;
  await holdBoxes(t, cl.nodes);
  const s = clusterSite(t, CLUSTER().replace('    dir: /scratch/jms', '    dir: /scratch/jms\n    node: no-such-node'));
  const c = await start(t, s, cl);
  const id = jobIdOf(await ok(s, 'submit --needs big -- true'));
  const st = await untilStatus(s, id, /down/, 15_000);
  t.match(st, /^JobID \d+ Status: Queued \(waiting for cluster is down \(a pool could not start there: its srun exited with code \d+: .*no-such-node: No such file or directory.*\)\)$/, st);
  t.notMatch(c.log(), /cannot remove the ledger/, 'the tools run with this Node.js, not the one named for the nodes');
  await waitFor('a second try', () => (c.log().match(/pool \d+ started on cluster/g) ?? []).length >= 2, 15_000, 100);
  t.pass('it is tried again');
  await ok(s, 'shutdown');
  await c.exited;
  await noneLeft(t, cl, s);
});

t.test('suspend, resume and kill act on the job on its node; logs', async (t) => {
  const cl = slurm(t);
  if (cl === null) return;
  const n1 = node(cl, 'n1');
  await holdBoxes(t, [n1]);
  const s = clusterSite(t, CLUSTER());
  const c = await start(t, s, cl);
  const id = jobIdOf(await ok(s, 'submit --needs tagA -- echo started; sleep 60'));
  await untilStatus(s, id, /Active/);
  const pid = Number((await info(s, id)).get('PID'));
  t.equal(procStateOnHost(n1, pid), 'S', `the job (pid ${pid} on n1) sleeps`);
  await ok(s, `suspend ${id}`);
  t.equal(procStateOnHost(n1, pid), 'T', 'suspended on n1');
  await ok(s, `resume ${id}`);
  await waitFor('the job to run again on n1', () => procStateOnHost(n1, pid) === 'S');
  const logs = await consoleRun(s, `logs ${id}`);
  t.same({ code: logs.code, stdout: logs.stdout, stderr: logs.stderr }, { code: 0, stdout: 'started\n', stderr: '' }, 'logs of the running job, read on n1 in its pool\'s Slurm job');
  await ok(s, `kill ${id}`);
  await untilStatus(s, id, /Finished/);
  t.equal(procStateOnHost(n1, pid), null, 'gone from n1');
  await waitFor('its pool to end', async () => (await ours(cl, s)).length === 0, 20_000, 200);
  const after = await consoleRun(s, `logs ${id}`);
  t.same({ code: after.code, stdout: after.stdout }, { code: 0, stdout: 'started\n' }, `logs once its pool has ended, read on n1 by a Slurm job of its own (${after.stderr.trim()})`);
  await ok(s, 'shutdown');
  await c.exited;
  await noneLeft(t, cl, s);
});

t.test('coordinator SIGKILL with cluster jobs running: the restart adopts them with their exit codes and cancels a stray job', async (t) => {
  // One job ends while no coordinator runs (its end is in its pool's ledger), the other is still running (re-attached).
  const cl = slurm(t);
  if (cl === null) return;
  const [n1, n2] = [node(cl, 'n1'), node(cl, 'n2')];
  await holdBoxes(t, [n1, n2]);
  const s = clusterSite(t, CLUSTER());
  const first = await start(t, s, cl);
  // Each ends when its gate file appears, in a directory of the shared filesystem (not the
  // test's own: it is under /tmp when the checkout is, and each node has its own /tmp).
  const gates = fs.mkdtempSync('/var/tmp/jms-gates-');
  t.teardown(() => fs.rmSync(gates, { recursive: true, force: true }));
  const a = jobIdOf(await ok(s, `submit --needs big -- until [ -e ${gates}/gate-a ]; do sleep 0.1; done; exit 7`));
  const b = jobIdOf(await ok(s, `submit --needs small -- until [ -e ${gates}/gate-b ]; do sleep 0.1; done; exit 9`));
  await untilStatus(s, a, /Active/);
  await untilStatus(s, b, /Active/);
  await crash(first);
  fs.writeFileSync(join(gates, 'gate-a'), '');
  // A job named as this coordinator's that no pool answers for (as a crash right after srun would leave).
  const stray = exec(['srun', '--chdir=/', '-p', cl.partition, '-J', `jms-${siteOf(os.hostname(), fs.realpathSync(s.out))}-stray-1`, 'sleep', '60'],
    { env: cl.env, timeoutMs: 90_000 });
  await waitFor('the stray job to run', async () => (await ours(cl, s)).some((j) => j.name.endsWith('stray-1') && j.state === 'RUNNING'), 10_000, 100);
  await waitFor("the first job's pool to end with it, without a coordinator", async () => {
    const left = (await ours(cl, s)).filter((j) => !j.name.endsWith('stray-1'));
    return left.length === 1 && left[0]?.nodes === 'n2';
  }, 10_000, 100);
  const t0 = Date.now();
  const second = await start(t, s, cl);
  await waitFor('the running pool re-attached', () => /re-attached pool/.test(second.log()), 15_000, 50);
  t.comment(`restart to the pool re-attached: ${Date.now() - t0} ms`);
  fs.writeFileSync(join(gates, 'gate-b'), '');
  await waitFor('the stray job to be cancelled', async () => !(await ours(cl, s)).some((j) => j.name.endsWith('stray-1')), 10_000, 100);
  t.match(second.log(), /cancelled 1 Slurm job\(s\) of an earlier coordinator/, 'the stray job was cancelled, and said so');
  await stray;
  await untilStatus(s, a, /Finished/);
  await untilStatus(s, b, /Finished/);
  t.equal((await info(s, a)).get('Status'), 'Finished (failed, exit code 7)', 'adopted with its real exit code');
  t.equal((await info(s, b)).get('Status'), 'Finished (failed, exit code 9)');
  await ok(s, 'shutdown');
  await second.exited;
  await noneLeft(t, cl, s);
});

t.test("the coordinator and its srun killed together: the pool misses its heartbeat, ends its job after the lease, and its Slurm job ends", async (t) => {
  const cl = slurm(t);
  if (cl === null) return;
  const n2 = node(cl, 'n2');
  await holdBoxes(t, [n2]);
  const s = clusterSite(t, CLUSTER(), ['--lease', '2s']);
  const first = await start(t, s, cl);
  const id = jobIdOf(await ok(s, 'submit --needs small -- sleep 60'));
  await untilStatus(s, id, /Active/);
  // As when the coordinator's machine goes: srun dies with it (and with srun's own helper
  // process: srun alone killed would cancel its job), while slurmstepd keeps the pool's stdin open.
  const children = (pid: number): number[] => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter((x) => x !== '').map(Number);
    } catch {
      return [];
    }
  };
  const sruns = children(first.pid);
  const all = [...sruns, ...sruns.flatMap(children)];
  t.ok(sruns.length > 0, `srun and its helper: ${all.join(', ')}`);
  for (const pid of all) process.kill(pid, 'SIGSTOP');
  for (const pid of all) process.kill(pid, 'SIGKILL');
  await crash(first);
  const t0 = Date.now();
  t.match(await ours(cl, s), [{ state: 'RUNNING' }], 'its Slurm job still runs without srun');
  await waitFor('the pool to end its job and itself', async () => (await ours(cl, s)).length === 0, 30_000, 200);
  t.comment(`the Slurm job ended ${Date.now() - t0} ms after its srun was killed (heartbeat 3 s + lease 2 s)`);
  const second = await start(t, s, cl);
  const st = await untilStatus(s, id, /Finished/, 15_000);
  t.match((await info(s, id)).get('Status'), /^Finished \(lost: its pool lost the coordinator for longer than its lease and ended it/, st);
  await ok(s, 'shutdown');
  await second.exited;
  await noneLeft(t, cl, s);
});

t.test("a node's link taken down: Slurm's NODE_FAIL makes its job lost with the reason", async (t) => {
  const cl = slurm(t);
  if (cl === null) return;
  const n1 = node(cl, 'n1');
  await holdBoxes(t, [], [n1]);
  const s = clusterSite(t, CLUSTER());
  const c = await start(t, s, cl);
  const id = jobIdOf(await ok(s, 'submit --needs big -- sleep 120'));
  await untilStatus(s, id, /Active/);
  t.teardown(async () => {
    await linkUp(n1);
    await waitFor('n1 idle again', async () => (await sinfo(cl)).some((x) => x.name === 'n1' && x.state === 'idle'), 30_000, 200);
    await waitFor('nothing left on n1', () => processesOnHost(n1).length === 0, 15_000, 100);
  });
  await linkDown(n1);
  const t0 = Date.now();
  const st = await untilStatus(s, id, /Finished/, 60_000);
  t.comment(`link down to lost: ${Date.now() - t0} ms (SlurmdTimeout ${cl.slurmdTimeout} s)`);
  t.match((await info(s, id)).get('Status'), /^Finished \(lost: its node n1 failed \(Slurm job \d+: NODE_FAIL\)\)$/, st);
  t.match(c.log(), /host cluster is up|serving/, 'the cluster itself stays in use');
  t.equal((await showHosts(t, s)).find((h) => h.name === 'cluster')?.state, 'up', 'the cluster is up: one node failed, not it');
  await ok(s, 'shutdown');
  await c.exited;
  await noneLeft(t, cl, s);
});

t.test('workstation and cluster in one coordinator (the cluster through a login node): placement by cost and tags, time limits', async (t) => {
  const cl = slurm(t);
  if (cl === null) return;
  const bed = sshHosts(t);
  if (bed === null) return;
  const [n1, n2, h1, h2] = [node(cl, 'n1'), node(cl, 'n2'), host(bed, 'h1'), host(bed, 'h2')];
  await holdBoxes(t, [h1, h2, n1, n2]);
  const opts = JSON.stringify(sshOptions(bed));
  const s = site(t, ['-n', '1']);
  const file = join(s.dir, 'hosts.yaml');
  fs.writeFileSync(file, `hosts:
  - name: local
    slots: 1
  - name: h2
    ssh: h2
    ssh_options: ${opts}
    slots: 1
    tags: [ws]
    dir: /srv/jms
  - name: cluster
    slurm:
      partition: debug
      max_pools: 2
      time: 5m
    login: h1
    ssh_options: ${opts}
    cache: ${join(s.dir, 'cache')}
    tags: [big, small, cluster]
    dir: /scratch/jms
`);
  s.flags.push('--hosts', file);
  const c = await start(t, s, cl);
  await waitFor('every host up', async () => (await showHosts(t, s)).every((h) => h.state === 'up'), 20_000, 100);
  const refused = await consoleRun(s, 'submit --needs cluster --timeout 10m -- true');
  t.not(refused.code, 0, 'a --timeout longer than the cluster allows is refused');
  t.match(refused.stderr, /cluster runs pools for at most 5m.*--timeout 10m/, refused.stderr);
  // The first two hold this machine and the workstation while the cluster starts a pool for the third.
  const jobs = [];
  for (const sleep of [8, 8, 0]) jobs.push(jobIdOf(await ok(s, `submit -- hostname; sleep ${sleep}`)));
  const notCluster = jobIdOf(await ok(s, 'submit --needs !cluster -- hostname'));
  const onCluster = jobIdOf(await ok(s, 'submit --needs cluster --timeout 1m -- hostname; sleep 3'));
  await untilStatus(s, onCluster, /Active/, 20_000);
  const limits = (await exec(['squeue', '-h', '-o', '%j %l'], { env: cl.env })).stdout;
  t.match(limits, /jms-\S+ 2:00/, `its pool asked for 2 minutes (1m + grace + start-up, whole minutes): ${limits}`);
  for (const id of [...jobs, notCluster, onCluster]) await untilStatus(s, id, /Finished/, 30_000);
  const where = async (id: number): Promise<string> => {
    const i = await info(s, id);
    const dir = i.get('Directory') ?? '';
    if (dir.startsWith('/scratch/jms/')) return [n1, n2].find((n) => stdoutOn(n, dir, id) !== null)?.name ?? '?';
    if (dir.startsWith('/srv/jms/')) return fs.existsSync(join(h2.dirs.srv, basename(dir))) ? 'h2' : '?';
    return 'local';
  };
  const places = await Promise.all(jobs.map(where));
  t.strictSame(places.slice(0, 2), ['local', 'h2'], 'the first on this machine (cost 0), the second on the workstation (cost 1)');
  t.match(places[2], /^n[12]$/, 'the third, with both full, on the cluster (cost 10)');
  t.match(await where(notCluster), /^(local|h2)$/, '!cluster stays off the cluster');
  t.match(await where(onCluster), /^n[12]$/, '--needs cluster runs on the cluster');
  t.ok(fs.readdirSync(join(s.dir, 'cache')).some((f) => /^pool-[0-9a-f]{16}\.cjs$/.test(f)), 'the pool program was installed in the cache through the login node');
  await ok(s, 'shutdown');
  await c.exited;
  await noneLeft(t, cl, s);
});
