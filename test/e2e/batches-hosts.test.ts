// Batches on several machines, for real: the test bed's SSH hosts h1 and h2 (both
// `openfoam`) and this machine (`cpu`). A batch that needs openfoam builds once on each of
// h1 and h2, its jobs get their staged files there (copied over ssh from this machine),
// run in their job directories after the build, and what they saved comes back into the
// archive here with their stdout; their scratch directories are removed on the hosts. A
// build that fails on one host keeps the batch off it. A job that fails is run again on
// the other host.

import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { archived, batchSpec, client, finished, info, one, submit, submitBatch, type View } from '../helpers/requests.js';
import { launch, site, type Site } from '../helpers/site.js';
import { holdBoxes, host, sshHosts, sshOptions, type SshBed, type SshHost } from '../helpers/testbed.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(300_000);

function hostsFile(s: Site, bed: SshBed, run: string): string {
  const opts = JSON.stringify(sshOptions(bed));
  const file = join(s.dir, 'hosts.yaml');
  const remote = (name: string): string[] => [
    `  - name: ${name}`, `    ssh: ${name}`, `    ssh_options: ${opts}`, '    slots: 2', '    tags: [openfoam]', `    dir: /srv/jms/${run}`,
  ];
  fs.writeFileSync(file, ['hosts:', '  - name: local', '    tags: [cpu]', ...remote('h1'), ...remote('h2'), ''].join('\n'));
  return file;
}

interface Bed {
  s: Site;
  hosts: SshHost[];
  run: string;
}

async function bedFor(t: Test): Promise<Bed | null> {
  const bed = sshHosts(t);
  if (bed === null) return null;
  const hosts = [host(bed, 'h1'), host(bed, 'h2')];
  await holdBoxes(t, hosts, []);
  const run = `b${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const s = site(t, ['-n', '2']);
  s.flags.push('--hosts', hostsFile(s, bed, run));
  t.teardown(() => {
    for (const h of hosts) fs.rmSync(join(h.dirs.srv, run), { recursive: true, force: true });
  });
  const c = await launch(t, s);
  t.teardown(() => {
    if (!t.passing()) t.comment(c.log());
  });
  return { s, hosts, run };
}

/** Job directories left on a host under the run's directory. */
function jobDirsOn(h: SshHost, run: string): string[] {
  const dir = join(h.dirs.srv, run);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('jms_')) : [];
}

t.test('a batch on two hosts: built once on each, files staged, saved files archived, scratch removed', async (t) => {
  const b = await bedFor(t);
  if (b === null) return;
  const cl = await client(t, b.s);
  const src = join(b.s.dir, 'case');
  fs.mkdirSync(join(src, 'mesh'), { recursive: true });
  fs.writeFileSync(join(src, 'mesh', 'base.msh'), 'base mesh\n');
  fs.writeFileSync(join(src, 'solve.sh'), '#!/bin/sh\nmkdir -p results; echo "$1 $2 $(cat input.msh) $(cat "$JMS_BUILD_DIR/tool")" > results/out.txt; hostname\n', { mode: 0o755 });
  const files = [{ from: join(src, 'mesh', 'base.msh'), as: 'input.msh' }, { from: join(src, 'solve.sh'), as: 'solve.sh' }];
  const matrix: { name: string; command: string; files: typeof files }[] = [];
  for (const re of ['100', '1000', '10000']) {
    for (const grid of ['coarse', 'fine']) matrix.push({ name: `solve[re=${re},grid=${grid}]`, command: `./solve.sh ${re} ${grid}`, files });
  }
  const r = await submitBatch(cl, batchSpec({ name: 'sweep', needs: ['openfoam'], build: 'hostname > tool', save: 'results' }, matrix));
  t.match(r, { kind: 'batch-submitted', batch: 'alice/sweep', jobs: 8, builds: 2 }, 'a build for each of h1 and h2, six jobs');
  const first = Number(r['firstJobId']);
  const views: View[] = [];
  for (let id = first; id < first + 8; id++) views.push(await archived(cl, id, 60_000));
  const [b1, b2, ...jobs] = views;
  t.match(b1, { kind: 'build', name: 'build@h1', host: 'h1', result: { kind: 'exited', code: 0 } });
  t.match(b2, { kind: 'build', name: 'build@h2', host: 'h2', result: { kind: 'exited', code: 0 } });
  const archive = join(b.s.out, 'archive', 'alice', 'sweep');
  for (const j of jobs) {
    t.match(j.result, { kind: 'exited', code: 0 }, `${String(j['name'])} succeeded on ${String(j['host'])}`);
    const name = String(j['name']);
    const m = /re=(\d+),grid=(\w+)/.exec(name);
    const out = fs.readFileSync(join(archive, name, 'results', 'out.txt'), 'utf8');
    t.equal(out, `${m?.[1]} ${m?.[2]} base mesh ${String(j['host'])}\n`, `${name}: staged files, the build of its own host`);
    t.equal(fs.readFileSync(join(archive, name, `stdout_${String(j['jobId'])}`), 'utf8'), `${String(j['host'])}\n`, `${name}: its stdout came back`);
  }
  t.ok(jobs.some((j) => j['host'] === 'h1') || jobs.some((j) => j['host'] === 'h2'), `hosts: ${jobs.map((j) => String(j['host'])).join(', ')}`);
  await waitFor('scratch and build directories removed on the hosts', () => b.hosts.every((h) => jobDirsOn(h, b.run).length === 0), 20_000, 200);
  await waitFor('the staged files removed', () => b.hosts.every((h) => !fs.existsSync(join(h.dirs.srv, b.run, '.jms-stage', 'alice', 'sweep'))), 20_000, 200);
  t.match(await one(cl, { kind: 'status-batch', batch: 'sweep' }), { batch: { state: 'done', jobs: 6, outcomes: { succeeded: 6 } } });
});

t.test('a build that fails on one host keeps the batch off it; a failed job runs again on the other host', async (t) => {
  const b = await bedFor(t);
  if (b === null) return;
  const cl = await client(t, b.s);
  const jobs = [1, 2, 3, 4].map((n) => ({ name: `j${n}`, command: 'hostname' }));
  const r = await submitBatch(cl, batchSpec({ name: 'picky', needs: ['openfoam'], build: '[ "$(hostname)" = h1 ]' }, jobs));
  t.match(r, { kind: 'batch-submitted', jobs: 6, builds: 2 });
  const first = Number(r['firstJobId']);
  t.match(await finished(cl, first + 1, 60_000), { name: 'build@h2', result: { kind: 'exited', code: 1 } }, 'the build failed on h2');
  for (let id = first + 2; id < first + 6; id++) t.match(await finished(cl, id, 60_000), { host: 'h1', result: { kind: 'exited', code: 0 } }, `JobID ${id} ran on h1 only`);
  const st = await waitFor('the batch done', async () => {
    const got = await one(cl, { kind: 'status-batch', batch: 'picky' });
    return (got['batch'] as { state: string }).state === 'done' ? got : undefined;
  }, 20_000, 100);
  t.match(st, {
    batch: { state: 'done', builds: [{ host: 'h1', outcome: 'succeeded' }, { host: 'h2', outcome: 'failed' }] },
  }, JSON.stringify(st));
  const retried = await submit(cl, '[ "$JMS_ATTEMPT" != 1 ] || exit 1; hostname', { needs: ['openfoam'], retries: 1 });
  const v = await finished(cl, retried, 60_000);
  t.match(v.result, { kind: 'exited', code: 0 }, 'the second run succeeded');
  t.equal(v.attempts.length, 1);
  const firstHost = v.attempts[0]?.['host'];
  t.ok(firstHost === 'h1' || firstHost === 'h2', `first run on ${String(firstHost)}`);
  t.not(v['host'], firstHost, `run again on the other host (${String(v['host'])})`);
  t.equal((await info(cl, retried))['retries'], 1);
});
