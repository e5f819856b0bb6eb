// The test bed itself (test/testbed/up.sh): SSH test hosts that are separate machines as far
// as a program can tell (hostname, disk, PIDs, network link), and a Slurm cluster whose nodes
// are picked by feature, forward stdin, and are noticed when they drop off the network.

import fs from 'node:fs';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import {
  aliveOnHost, allProcessesOnHost, exec, holdBoxes, host, linkDown, linkUp, node, onHost, processesOnHost, procStateOnHost,
  rebootHost, sinfo, slurm, squeue, srun, ssh, sshHosts, startSshd, STATE_PATH, stopSshd, type Box, type SlurmBed,
} from '../helpers/testbed.js';
import { waitFor } from '../helpers/wait.js';

const unique = (): string => `probe-${process.pid}-${Date.now()}`;

async function nothingLeft(t: Test, boxes: readonly Box[]): Promise<void> {
  for (const b of boxes) {
    await waitFor(`nothing left on ${b.name} (${JSON.stringify(processesOnHost(b))})`,
      () => processesOnHost(b).length === 0, 20_000, 100).catch(() => undefined);
    t.same(processesOnHost(b), [], `no process is left on ${b.name}`);
  }
}

t.test('ssh test hosts', async (t) => {
  const bed = sshHosts(t);
  if (bed === null) return;
  const h1 = host(bed, 'h1');
  const h2 = host(bed, 'h2');

  t.test('each host answers ssh with its own hostname', async (t) => {
    await holdBoxes(t, bed.hosts);
    const got = await Promise.all(bed.hosts.map((h) => ssh(bed, h, 'hostname')));
    // stdout and exit code only: stderr carries what the shared home's dotfiles print at login.
    t.same(got.map((r) => [r.code, r.stdout]), bed.hosts.map((h) => [0, `${h.name}\n`]), got.map((r) => r.stderr).join(''));
  });

  t.test("a file written on h1 under /srv/jms, /tmp and ~/.cache is on h1's disk only", async (t) => {
    await holdBoxes(t, [h1, h2]);
    const name = unique();
    const r = await ssh(bed, h1, `for d in /srv/jms /tmp /root/.cache; do echo on-h1 > $d/${name}; done`);
    t.equal(r.code, 0, r.stderr);
    for (const dir of [h1.dirs.srv, h1.dirs.tmp, h1.dirs.cache]) {
      t.equal(fs.readFileSync(join(dir, name), 'utf8'), 'on-h1\n', `in h1's ${dir}`);
      fs.rmSync(join(dir, name));
    }
    for (const dir of [h2.dirs.srv, h2.dirs.tmp, h2.dirs.cache, '/srv/jms', '/tmp', '/root/.cache']) {
      t.notOk(fs.existsSync(join(dir, name)), `not in ${dir}`);
    }
  });

  t.test("a pid on h1 is h1's own, and h1's PID 1 reaps its orphans", async (t) => {
    await holdBoxes(t, [h1]);
    const r = await ssh(bed, h1, 'sleep 300 </dev/null >/dev/null 2>&1 & echo $!');
    const pid = Number(r.stdout.trim());
    t.ok(Number.isSafeInteger(pid) && pid > 1, `a remote pid: ${r.stdout.trim()} ${r.stderr}`);
    const seen = allProcessesOnHost(h1).find((p) => p.pid === pid);
    t.match(seen, { cmd: 'sleep 300', ppid: 1 }, 'on h1 it is the sleep, orphaned to PID 1 when its shell ended');
    // Just started on a loaded machine it may still be running (R) before it sleeps.
    t.equal(await waitFor('the sleep to be asleep on h1', () => (procStateOnHost(h1, pid) === 'S' ? 'S' : false), 5000, 20), 'S', 'asleep (S), a live process of h1');
    const ns = (p: number): string | null => { try { return fs.readlinkSync(`/proc/${p}/ns/pid`); } catch { return null; } };
    t.not(ns(pid), ns(h1.pid), 'the same number here is no process of h1 (none, or another one)');
    t.equal((await onHost(h1, ['kill', String(pid)])).code, 0);
    await waitFor('the killed sleep to be reaped on h1', () => procStateOnHost(h1, pid) === null);
    t.pass('killed on h1 and reaped there, not left as a zombie');
  });

  t.test('linkDown(h2): ssh to h2 fails with 255 within seconds; linkUp: it works again', async (t) => {
    await holdBoxes(t, [h1], [h2]);
    const session = ssh(bed, h2, 'exec sleep 60', { timeoutMs: 30_000 });
    await waitFor('the session on h2', () => processesOnHost(h2).some((p) => p.cmd === 'sleep 60'));
    await linkDown(h2);
    const down = Date.now();
    t.teardown(() => linkUp(h2));
    const [fresh, { open, openEnded }] = await Promise.all([
      ssh(bed, h2, 'true', { timeoutMs: 20_000 }), session.then((r) => ({ open: r, openEnded: Date.now() - down })),
    ]);
    t.equal(fresh.code, 255, `a new ssh fails with 255 (${fresh.ms} ms): ${fresh.stderr.trim()}`);
    t.ok(fresh.ms < 10_000, `within ConnectTimeout: ${fresh.ms} ms`);
    t.equal(open.code, 255, `the open session ends with 255 (ServerAlive), by ${openEnded} ms after linkDown`);
    t.equal((await ssh(bed, h1, 'true')).code, 0, 'h1 is not affected');
    await linkUp(h2);
    await waitFor('ssh h2 to work again', async () => (await ssh(bed, h2, 'true')).code === 0, 15_000, 200);
    t.pass('ssh h2 works again after linkUp');
    // Nothing signals a remote command whose client went away (MULTIHOST.md): end it here.
    for (const p of processesOnHost(h2).filter((x) => x.cmd === 'sleep 60')) await onHost(h2, ['kill', String(p.pid)]);
  });

  t.test('stopSshd(h3) refuses ssh, startSshd brings it back; rebootHost kills all but keeps the disk', async (t) => {
    const h3 = host(bed, 'h3');
    await holdBoxes(t, [], [h3]);
    await stopSshd(h3);
    const refused = await ssh(bed, h3, 'true');
    t.equal(refused.code, 255, `refused at once (${refused.ms} ms): ${refused.stderr.trim()}`);
    await startSshd(h3);
    t.equal((await ssh(bed, h3, 'hostname')).stdout, 'h3\n', 'ssh h3 works again');
    const name = unique();
    const r = await ssh(bed, h3, `echo kept > /srv/jms/${name}; sleep 300 </dev/null >/dev/null 2>&1 & echo $!`);
    const pid = Number(r.stdout.trim());
    t.ok(aliveOnHost(h3, pid), 'a process runs on h3');
    await rebootHost(h3);
    t.equal(procStateOnHost(h3, pid), null, 'the reboot killed it');
    t.same([(await ssh(bed, h3, `cat /srv/jms/${name}`)).stdout], ['kept\n'], 'the disk is kept, sshd is back');
    fs.rmSync(join(h3.dirs.srv, name));
  });

  t.test('holdBoxes: a box held shared cannot be taken exclusive until the test ends', async (t) => {
    const h3 = host(bed, 'h3');
    const lock = join(dirname(STATE_PATH), 'hold-h3.lock');
    const tryExclusive = async (): Promise<number | null> => (await exec(['flock', '-x', '-n', lock, 'true'])).code;
    await t.test('holding h3 shared', async (t) => {
      await holdBoxes(t, [h3]);
      t.equal(await tryExclusive(), 1, 'another process cannot hold h3 exclusive');
      t.equal((await exec(['flock', '-s', '-n', lock, 'true'])).code, 0, 'but can share it');
    });
    t.equal(await tryExclusive(), 0, 'released when the test ended');
  });

  t.test('nothing is left on any host', async (t) => {
    await holdBoxes(t, [], bed.hosts);
    await nothingLeft(t, bed.hosts);
  });
});

async function nodeState(cl: SlurmBed, name: string): Promise<string> {
  return (await sinfo(cl)).find((n) => n.name === name)?.state ?? 'absent';
}

t.test('slurm test cluster', async (t) => {
  const cl = slurm(t);
  if (cl === null) return;
  const n1 = node(cl, 'n1');
  const n2 = node(cl, 'n2');

  t.test('sinfo: every node idle, with its features', async (t) => {
    // Exclusive: it checks that nothing runs there (another suite's Slurm jobs would not be idle).
    await holdBoxes(t, [], cl.nodes);
    t.same(await sinfo(cl), cl.nodes.map((n) => ({ name: n.name, state: 'idle', features: n.features })));
  });

  t.test('srun -C picks the node by feature; an unknown feature is refused at once', async (t) => {
    await holdBoxes(t, cl.nodes);
    const [big, small, both, bad] = await Promise.all([
      srun(cl, ['-C', 'big', 'hostname']), srun(cl, ['-C', 'small', 'hostname']),
      srun(cl, ['-C', 'big&tagA', 'hostname']), srun(cl, ['-C', 'nosuch', 'hostname']),
    ]);
    t.same([big.code, big.stdout], [0, 'n1\n'], big.stderr);
    t.same([small.code, small.stdout], [0, 'n2\n'], small.stderr);
    t.same([both.code, both.stdout], [0, 'n1\n'], both.stderr);
    t.not(bad.code, 0);
    t.match(bad.stderr, /Invalid feature/);
  });

  t.test('stdin reaches the task through srun cat', async (t) => {
    await holdBoxes(t, [n2]);
    const r = await srun(cl, ['-C', 'small', 'cat'], { input: 'line 1\nline 2\n' });
    t.same([r.code, r.stdout], [0, 'line 1\nline 2\n'], r.stderr);
  });

  t.test("a file written on n1 under /scratch/jms is on n1's disk only", async (t) => {
    await holdBoxes(t, [n1, n2]);
    const name = unique();
    const r = await srun(cl, ['-C', 'big', 'sh', '-c', `echo on-n1 > /scratch/jms/${name}`]);
    t.equal(r.code, 0, r.stderr);
    t.equal(fs.readFileSync(join(n1.dirs.scratch, name), 'utf8'), 'on-n1\n');
    fs.rmSync(join(n1.dirs.scratch, name));
    t.notOk(fs.existsSync(join(n2.dirs.scratch, name)), 'not on n2');
  });

  t.test('an SSH test host can be the login node: srun there reaches the nodes', async (t) => {
    const bed = sshHosts(t);
    if (bed === null) return;
    await holdBoxes(t, [host(bed, 'h1'), n2]);
    const r = await ssh(bed, 'h1', `srun -p ${cl.partition} -C small hostname`);
    t.same([r.code, r.stdout], [0, 'n2\n'], r.stderr);
  });

  t.test("n2's link down: Slurm marks it down; link up: idle again", async (t) => {
    await holdBoxes(t, [n1], [n2]);
    await linkDown(n2);
    t.teardown(() => linkUp(n2));
    const t0 = Date.now();
    const down = await waitFor('n2 to be marked down', async () => {
      const s = await nodeState(cl, 'n2');
      return s.startsWith('down') ? s : undefined;
    }, (cl.slurmdTimeout * 4 + 10) * 1000, 250);
    t.pass(`n2 is ${down} after ${Date.now() - t0} ms (SlurmdTimeout ${cl.slurmdTimeout} s)`);
    t.equal(await nodeState(cl, 'n1'), 'idle', 'n1 is not affected');
    await linkUp(n2);
    const t1 = Date.now();
    await waitFor('n2 to be idle again', async () => (await nodeState(cl, 'n2')) === 'idle', 20_000, 250);
    t.pass(`n2 is idle again ${Date.now() - t1} ms after linkUp`);
  });

  t.test('squeue is empty at the end, and nothing is left on the nodes', async (t) => {
    await holdBoxes(t, [], cl.nodes);
    await waitFor('squeue to be empty', async () => (await squeue(cl)).length === 0, 15_000, 200).catch(() => undefined);
    t.same(await squeue(cl), []);
    await nothingLeft(t, cl.nodes);
  });
});
