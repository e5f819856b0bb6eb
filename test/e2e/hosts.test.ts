// Several machines, for real: a coordinator with a hosts file naming the test bed's SSH
// hosts (h1, h2: own network, hostname, PID namespace and disks; test/testbed/). Jobs
// land where their tags say, the pool program is installed once per host, signals reach
// the remote process group (its /proc state read on that host), logs come from there,
// a host's link can go down within or past the lease, the coordinator can be SIGKILLed
// with remote jobs running, and nothing is left on any host at the end.

import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CONSOLE, run as runProgram } from '../helpers/coord.js';
import { consoleRun, crash, launch, ok, shutdown, site, type Instance, type Site } from '../helpers/site.js';
import {
  holdBoxes, host, linkDown, linkUp, onHost, processesOnHost, procStateOnHost, sshHosts, sshOptions, type SshBed, type SshHost,
} from '../helpers/testbed.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(300_000);

/** A hosts file for the site: local (tag cpu), h1 (gpu, openfoam), h2 (openfoam), each writing under its own /srv/jms/<run>. */
function hostsFile(s: Site, bed: SshBed, run: string): string {
  const opts = JSON.stringify(sshOptions(bed));
  const file = join(s.dir, 'hosts.yaml');
  fs.writeFileSync(file, [
    'hosts:',
    '  - name: local',
    '    tags: [cpu]',
    '  - name: h1',
    '    ssh: h1',
    `    ssh_options: ${opts}`,
    '    slots: 2',
    '    tags: [gpu, openfoam]',
    `    dir: /srv/jms/${run}`,
    '  - name: h2',
    '    ssh: h2',
    `    ssh_options: ${opts}`,
    '    slots: 2',
    '    tags: [openfoam]',
    `    dir: /srv/jms/${run}`,
    '',
  ].join('\n'));
  return file;
}

interface Bed {
  s: Site;
  h1: SshHost;
  h2: SshHost;
  run: string;
}

async function bedFor(t: Test, lease: string, exclusive: boolean): Promise<Bed | null> {
  const bed = sshHosts(t);
  if (bed === null) return null;
  const h1 = host(bed, 'h1');
  const h2 = host(bed, 'h2');
  await holdBoxes(t, exclusive ? [] : [h1, h2], exclusive ? [h1, h2] : []);
  const run = `t${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const s = site(t, ['-n', '2']);
  s.flags.push('--hosts', hostsFile(s, bed, run), '--lease', lease);
  t.teardown(() => {
    for (const h of [h1, h2]) fs.rmSync(join(h.dirs.srv, run), { recursive: true, force: true });
  });
  return { s, h1, h2, run };
}

async function jsonInfo(s: Site, id: number): Promise<Record<string, unknown>> {
  const doc: unknown = JSON.parse(await ok(s, `--json info ${id}`));
  if (typeof doc !== 'object' || doc === null) throw new Error('not a job document');
  return doc as Record<string, unknown>;
}

async function finished(s: Site, id: number, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  return waitFor(`JobID ${id} to finish`, async () => {
    const d = await jsonInfo(s, id);
    return d['status'] === 'finished' ? d : false;
  }, timeoutMs, 100);
}

function submittedId(text: string): number {
  const m = /^JobID: (\d+), /.exec(text);
  if (m === null) throw new Error(`not a submit answer: ${text}`);
  return Number(m[1]);
}

async function upHosts(s: Site): Promise<void> {
  await waitFor('h1 and h2 to be up', async () => /2\. h1 up[\s\S]*3\. h2 up/.test(await ok(s, 'show-hosts')), 20_000, 100);
}

async function nothingLeft(t: Test, b: Bed, c: Instance): Promise<void> {
  await shutdown(t, b.s, c, /^Served \d+ jobs, \d+ were still in progress$/);
  for (const h of [b.h1, b.h2]) {
    const left = await waitFor(`nothing of ours on ${h.name}`, () => processesOnHost(h).filter((p) => !p.cmd.startsWith('sshd')).length === 0 ? [] : false, 15_000, 200)
      .catch(() => processesOnHost(h));
    t.same(left, [], `no process is left on ${h.name}`);
  }
}

t.test('jobs go where their tags say; the pool program is installed once per host', async (t) => {
  const b = await bedFor(t, '5m', true);
  if (b === null) return;
  const { s, h1, h2, run } = b;
  // Each host starts without the pool program.
  for (const h of [h1, h2]) fs.rmSync(join(h.dirs.cache, 'jms'), { recursive: true, force: true });
  let c = await launch(t, s);
  await upHosts(s);
  // Submitted from a directory only this machine has (/tmp is each host's own): on h1 it runs in its job directory.
  const here = fs.mkdtempSync('/tmp/jms-hosts-');
  t.teardown(() => fs.rmSync(here, { recursive: true, force: true }));
  const fromTmp = await runProgram(process.execPath, [CONSOLE, '-w', s.jmsIn, '-r', s.jmsOut, 'submit', '--needs', 'gpu', 'hostname; sleep 0.3; pwd -P; cd "$PWD" && pwd -P'], { cwd: here });
  const gpu = submittedId(fromTmp.stdout);
  // A directory the hosts share (everything but /tmp, as a lab's /home over NFS); not the
  // test's own directory, which is under /tmp when the checkout is.
  const common = fs.mkdtempSync('/var/tmp/jms-hosts-');
  t.teardown(() => fs.rmSync(common, { recursive: true, force: true }));
  const fromShared = await runProgram(process.execPath, [CONSOLE, '-w', s.jmsIn, '-r', s.jmsOut, 'submit', '--needs', 'gpu', 'pwd'], { cwd: common });
  const shared = submittedId(fromShared.stdout);
  const foam = submittedId(await ok(s, 'submit --needs openfoam,!gpu hostname'));
  const plain = submittedId(await ok(s, 'submit hostname'));
  for (const id of [gpu, foam, plain]) t.match(await finished(s, id), { outcome: 'succeeded' }, `JobID ${id} succeeded`);
  const on = async (id: number): Promise<Record<string, unknown>> => jsonInfo(s, id);
  t.match(await on(gpu), { host: 'h1', needs: ['gpu'] }, 'the gpu job ran on h1');
  t.match(await finished(s, shared), { host: 'h1', cwd: common }, 'a directory h1 shares (as /home over NFS) is where it runs there');
  t.equal((await consoleRun(s, `logs ${shared}`)).stdout, `${common}\n`, 'pwd on h1 was the console\'s directory');
  t.match(await on(foam), { host: 'h2' }, 'openfoam but not gpu: h2');
  t.match(await on(plain), { host: 'local' }, 'a job without needs stays on the cheapest host, this one');
  const dirOf = async (id: number): Promise<string> => String((await on(id))['dir']);
  const gpuDir = await dirOf(gpu);
  t.match(gpuDir, new RegExp(`^/srv/jms/${run}/jms_root_${gpu}_\\d+_\\d{8}_\\d{6}$`), 'its directory has the classic name on h1');
  const real = join(h1.dirs.srv, gpuDir.slice('/srv/jms/'.length));
  t.equal(fs.readFileSync(join(real, `stdout_${gpu}`), 'utf8'), `h1\n${gpuDir}\n${gpuDir}\n`, 'its output is on h1\'s own disk, it ran in its job directory (the console\'s is not on h1), and its first $PWD still leads there');
  t.same(fs.readdirSync(join(h1.dirs.srv, run)).filter((n) => n.startsWith('.jms_starting')), [], 'the link of its first name is gone once it ended');
  t.notOk(fs.existsSync(join(h2.dirs.srv, gpuDir.slice('/srv/jms/'.length))), 'and not on h2\'s');
  t.equal((await consoleRun(s, `logs ${foam}`)).stdout, 'h2\n', 'logs of a remote job come from its host');
  t.match((await consoleRun(s, `info ${gpu}`)).stdout, /\nHost: h1\n/, 'info shows the host');

  const refused = await consoleRun(s, 'submit --needs licence true');
  t.equal(refused.code, 1, 'a submit whose tags no host has is refused');
  t.match(refused.stderr, /no host fits --needs licence.*local \(cpu\), h1 \(gpu, openfoam\), h2 \(openfoam\)/i, `naming the hosts and their tags: ${refused.stderr.trim()}`);
  const installs = (log: string): string[] => log.split('\n').filter((l) => /installed the pool program on/.test(l));
  t.equal(installs(c.log()).length, 2, 'the pool program was installed on h1 and h2, once each');
  for (const h of [h1, h2]) t.equal(fs.readdirSync(join(h.dirs.cache, 'jms')).filter((n) => /^pool-[0-9a-f]{16}\.cjs$/.test(n)).length, 1, `${h.name}: one program, named by its hash`);
  await shutdown(t, s, c, /^Served 4 jobs, 0 were still in progress$/);  // the refused submit made no job
  c = await launch(t, s);
  await upHosts(s);
  t.equal(submittedId(await ok(s, 'submit --needs gpu true')) > 0, true, 'after a restart h1 runs jobs');
  t.same(installs(c.log()), [], 'a second start installs nothing: the program is already there');
  await nothingLeft(t, b, c);
});

t.test('suspend, resume, kill, logs -f and pause-all --host act on the remote process group', async (t) => {
  const b = await bedFor(t, '5m', false);
  if (b === null) return;
  const { s, h1 } = b;
  const c = await launch(t, s);
  await upHosts(s);
  const id = submittedId(await ok(s, 'submit --needs gpu for i in 1 2 3; do echo tick $i; sleep 0.3; done; sleep 300'));
  const pid = Number((await jsonInfo(s, id))['pid']);
  await waitFor('its process on h1', () => procStateOnHost(h1, pid) !== null, 5000);
  t.equal(procStateOnHost(h1, pid)?.match(/[RS]/) !== null, true, 'it runs on h1 (its pid seen in h1\'s own PID namespace)');
  t.equal(await ok(s, `suspend ${id}`), `Sent suspend signal to JobID ${id}`);
  await waitFor('it to be stopped on h1', () => procStateOnHost(h1, pid) === 'T', 5000);
  t.pass('SIGSTOP reached it on h1');
  t.equal(await ok(s, `resume ${id}`), `Sent resume signal to JobID ${id}`);
  await waitFor('it to run again on h1', () => procStateOnHost(h1, pid) !== 'T', 5000);
  const followed = await consoleRun(s, `logs ${id} -n 2`);
  t.match(followed.stdout, /tick/, 'logs -n of the remote job');
  t.equal(await ok(s, 'pause-all --host h1'), 'Paused 1 running job; no job starts until resume-all');
  await waitFor('pause-all --host to stop it', () => procStateOnHost(h1, pid) === 'T', 5000);
  t.match(await ok(s, `status ${id}`), /Suspended \(pause-all, until resume-all\)$/);
  t.match(await ok(s, 'show-hosts'), /h1 up: .*paused until resume-all/, 'show-hosts says h1 is paused');
  t.equal((await ok(s, 'submit hostname')).startsWith('JobID'), true, 'other hosts still take jobs');
  t.equal(await ok(s, 'resume-all --host h1'), 'Resumed 1 job; jobs start again');
  await waitFor('it to run again', () => procStateOnHost(h1, pid) !== 'T', 5000);
  const f = await onHost(h1, ['true']);
  t.equal(f.code, 0);
  t.equal(await ok(s, `kill ${id}`), `Sent kill signal to JobID ${id}`);
  t.match(await finished(s, id), { outcome: 'killed', signal: 'SIGTERM', host: 'h1' }, 'killed on h1');
  t.equal(procStateOnHost(h1, pid), null, 'and gone from h1');

  const live = submittedId(await ok(s, 'submit --needs gpu for i in 1 2 3; do echo line $i; sleep 0.5; done'));
  const all = await consoleRun(s, `logs ${live} -f`);
  t.equal(all.stdout, 'line 1\nline 2\nline 3\n', 'logs -f follows a remote job to its end, bytes as written');
  t.equal(await ok(s, 'host-off h2'), 'Switched off h2: no job starts there until host-on h2');
  const offJob = submittedId(await ok(s, 'submit --needs openfoam,!gpu true'));
  t.match(await ok(s, `status ${offJob}`), /Queued \(waiting for h2 is switched off \(host-on h2\)\)/, 'a job only h2 fits waits, saying why');
  t.equal(await ok(s, 'host-on h2'), 'Switched on h2: jobs start there again');
  t.match(await finished(s, offJob), { host: 'h2', outcome: 'succeeded' }, 'and runs once h2 is on again');
  await shutdown(t, s, c, /^Served \d+ jobs, \d+ were still in progress$/);
});

t.test('a link down within the lease: the job goes on and ends with its real exit code', async (t) => {
  const b = await bedFor(t, '5m', true);
  if (b === null) return;
  const { s, h1 } = b;
  const c = await launch(t, s);
  await upHosts(s);
  const gate = `/srv/jms/${b.run}/go`;
  const id = submittedId(await ok(s, `submit --needs gpu while [ ! -e ${gate} ]; do sleep 0.1; done; exit 6`));
  await linkDown(h1);
  await waitFor('the coordinator to see h1 down', async () => /h1 down/.test(await ok(s, 'show-hosts')), 20_000, 200);
  t.match(await jsonInfo(s, id), { status: 'active' }, 'the job is still active, not lost');
  fs.writeFileSync(join(h1.dirs.srv, b.run, 'go'), '');
  await linkUp(h1);
  t.match(await finished(s, id, 40_000), { outcome: 'failed', exitCode: 6, host: 'h1' }, 'once h1 is back, its real exit code');
  await nothingLeft(t, b, c);
});

t.test('a link down past the lease: the pool ends the job, which is lost with the reason', async (t) => {
  const b = await bedFor(t, '6s', true);
  if (b === null) return;
  const { s, h1 } = b;
  const c = await launch(t, s);
  await upHosts(s);
  const id = submittedId(await ok(s, 'submit --needs gpu sleep 300'));
  const pid = Number((await jsonInfo(s, id))['pid']);
  await linkDown(h1);
  // Its pool sees silence after 3 s and keeps the job for the 6 s lease, then ends it.
  await waitFor('the remote job to be ended by its pool', () => procStateOnHost(h1, pid) === null, 30_000, 200);
  t.pass('the pool on h1 ended its job when the lease ran out');
  await linkUp(h1);
  const end = await finished(s, id, 40_000);
  t.match(end, { outcome: 'lost', reason: /lease/ }, `lost, saying why: ${String(end['reason'])}`);
  await nothingLeft(t, b, c);
});

t.test('the coordinator SIGKILLed with remote jobs running: after a restart they are adopted with their exit codes', async (t) => {
  const b = await bedFor(t, '5m', true);
  if (b === null) return;
  const { s } = b;
  const a = await launch(t, s);
  await upHosts(s);
  const gate = `/srv/jms/${b.run}/go`;
  const one = submittedId(await ok(s, `submit --needs gpu while [ ! -e ${gate} ]; do sleep 0.1; done; exit 3`));
  const two = submittedId(await ok(s, 'submit --needs openfoam,!gpu sleep 1; exit 4'));
  await crash(a);
  fs.mkdirSync(join(b.h1.dirs.srv, b.run), { recursive: true });
  const c = await launch(t, s);
  t.match(c.log(), /journal: 2 job\(s\) on record/, 'the restart knows both');
  fs.writeFileSync(join(b.h1.dirs.srv, b.run, 'go'), '');
  t.match(await finished(s, one), { outcome: 'failed', exitCode: 3, host: 'h1' }, 'the job on h1 adopted, with its exit code');
  t.match(await finished(s, two), { outcome: 'failed', exitCode: 4, host: 'h2' }, 'the one that ended while no coordinator ran, with its exit code');
  await nothingLeft(t, b, c);
});
