// The coordinator keeps every job on record in memory (100,000 finished jobs in the
// benchmark's scale rows), so the objects it keeps per job must share V8 hidden classes:
// made as `{ ...poolRef(state), pid, dir, startedAt }`, every finished job's run had a map
// of its own (a heap snapshot showed one map and one descriptor array per job, about 24 MB
// for 100,000). Checked in a child Node with V8's natives syntax (%HaveSameMap), on jobs
// replayed from journal records by the real Replayer and on jobs stepped through their
// events as the coordinator does: 50 of each, since V8 gave the old spread's objects maps
// of their own only from the 14th on (after the inline cache's first fast clones).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const STATE = fileURLToPath(new URL('../../coord/core/state.js', import.meta.url));
const RECOVERY = fileURLToPath(new URL('../../coord/persist/recovery.js', import.meta.url));

const SCRIPT = `
const { step, newJob } = await import(${JSON.stringify(STATE)});
const { Replayer } = await import(${JSON.stringify(RECOVERY)});
const out = {};
const N = 50;
const ids = Array.from({ length: N }, (_, i) => i + 1);
const oneMap = (objs) => objs.every((o) => %HaveSameMap(o, objs[0]));
const origin = (n) => ({ user: 'u', host: 'h', consolePid: 3000 + n });

// As the coordinator runs them: submitted, dispatched, started, exited.
const live = ids.map((id) => {
  const job = newJob(id, '/bin/true', 1000 + id, { cwd: '/work/' + id, envId: 'e' + id, origin: origin(id) });
  let s = job.state;
  for (const ev of [
    { type: 'dispatched', poolId: id, poolPid: 400 + id, poolKey: 'k-' + id, host: 'local' },
    { type: 'started', pid: 5000 + id, dir: '/out/jms_u_' + id + '_' + (5000 + id) + '_20260101_000000', at: 2000 + id },
    { type: 'exited', code: 0, signal: null, at: 3000 + id },
  ]) s = step(s, ev, job);
  job.state = s;
  return job;
});
out.liveJobs = oneMap(live);
out.liveRuns = oneMap(live.map((j) => j.state.started));
out.liveFinished = oneMap(live.map((j) => j.state));

// As a restarted coordinator reads them back from its journal.
const r = new Replayer();
for (const id of ids) {
  r.add({ r: 'new', id, cmd: '/bin/true', at: 1000 + id, cwd: '/work/' + id, envId: 'e' + id, origin: origin(id) });
  r.add({ r: 'ev', id, ev: { type: 'dispatched', poolId: id, poolPid: 400 + id } });
  r.add({ r: 'ev', id, ev: { type: 'started', pid: 5000 + id, dir: '/out/d' + id, at: 2000 + id } });
  r.add({ r: 'ev', id, ev: { type: 'exited', code: 0, signal: null, at: 3000 + id } });
}
const jobs = [...r.result().jobs.values()];
out.replayed = jobs.length;
out.replayedJobs = oneMap(jobs);
out.replayedRuns = jobs.every((j) => j.state.tag === 'finished' && j.state.started !== null) && oneMap(jobs.map((j) => j.state.started));
process.stdout.write(JSON.stringify(out));
`;

t.test('jobs on record, and their runs, share hidden classes', (t) => {
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  t.equal(r.status, 0, `the check ran (stderr: ${r.stderr.trim().split('\n').slice(-3).join(' | ')})`);
  const got = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
  t.equal(got['replayed'], 50, 'every job replayed');
  t.equal(got['liveJobs'], true, 'jobs submitted with a directory, an environment and an origin: one map');
  t.equal(got['liveRuns'], true, 'their runs, kept once they finished: one map');
  t.equal(got['liveFinished'], true, 'their finished states: one map');
  t.equal(got['replayedJobs'], true, 'replayed jobs: one map');
  t.equal(got['replayedRuns'], true, 'replayed runs: one map');
  t.end();
});
