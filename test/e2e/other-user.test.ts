// Security against a second local user (created for the test with useradd, removed
// afterwards): she may share a directory with the coordinator's user, and she tries the
// attacks of a shared machine. Each must fail, and the coordinator must keep serving.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { COORD, CONSOLE, run } from '../helpers/coord.js';
import { otherUser, otherUserUnavailable } from '../helpers/other-user.js';
import { crash, launch, ok, shutdown, site, submitJob } from '../helpers/site.js';
import { waitFor } from '../helpers/wait.js';

const unavailable = otherUserUnavailable();

t.test('a group-writable directory on the way to -l is refused at start', { skip: unavailable ?? false }, async (t) => {
  const mallory = otherUser(t);
  const dir = t.testdir({ team: {} });
  const team = join(dir, 'team');
  fs.chownSync(team, 0, mallory.gid);
  fs.chmodSync(team, 0o775);
  const r = await run(process.execPath, [COORD, '-l', join(team, 'jms'), '-n', '2', '-r', join(dir, 'in'), '-w', join(dir, 'out')], { cwd: dir });
  t.equal(r.code, 3, 'exit 3');
  t.match(r.stderr, new RegExp(`^jms_coord: (error: )?${team} is writable by its group \\(mode 775\\), so another user could replace what is under it; run 'chmod go-w ${team}' or choose another -l`),
    `one line saying why and what to do: ${JSON.stringify(r.stderr)}`);
  t.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1, 'one line');
  t.notOk(fs.existsSync(join(team, 'jms')), 'nothing was created under it');
  t.notOk(fs.existsSync(join(dir, 'in')), 'no FIFO was made');
});

t.test('in a sticky shared directory another user can neither move, read, plant nor connect', { skip: unavailable ?? false }, async (t) => {
  const mallory = otherUser(t);
  const s = site(t, ['-n', '2']);
  const team = join(s.dir, 'team');
  fs.mkdirSync(team);
  fs.chmodSync(team, 0o1777);
  Object.assign(s, { out: join(team, 'jms'), jmsIn: join(team, 'jms_in'), jmsOut: join(team, 'jms_out') });
  const before = await launch(t, s);
  const first = await submitJob(s, 'echo secret; sleep 300');
  const jobDir = await waitFor('the job directory', () => fs.readdirSync(s.out).find((n) => n.startsWith('jms_')));
  // A pool opens its attach socket once its coordinator is gone: kill it, and the next one
  // re-attaches through that socket, which she must not reach meanwhile.
  await crash(before);
  const sock = await waitFor('a pool attach socket', () => fs.readdirSync(join(s.out, '.jms', 'pools')).find((n) => n.endsWith('.sock')));

  const as = (what: string, cmd: string): void => {
    const r = mallory.run(['sh', '-c', cmd], { cwd: team });
    t.not(r.code, 0, `${what}: refused (${r.stderr.trim()})`);
  };
  as('moving the output directory away', `mv ${s.out} ${team}/old`);
  as('replacing it by a link', `rm -rf ${s.out}`);
  as('listing it', `ls ${s.out}`);
  as("reading a job's output", `cat ${join(s.out, jobDir, 'stdout_1')}`);
  as('planting a link inside it', `ln -s /etc/shadow ${join(s.out, 'jms_x_9_9_20260101_000000')}`);
  as('reading the journal', `cat ${join(s.out, '.jms', 'journal')}`);
  as("connecting to a pool's attach socket", `${process.execPath} -e "require('net').connect('${join(s.out, '.jms', 'pools', sock)}').on('error', (e) => { console.error(e.code); process.exit(1); }).on('connect', () => process.exit(0))"`);
  const c = await launch(t, s);
  t.match(c.log(), /re-attached pool \S+ on local \(pid \d+\) with 1 job\(s\) still running/, 'the restarted coordinator re-attached the pool through its socket');
  as('writing into jms_in', `echo '{"kind":"hello"}' > ${s.jmsIn}`);
  const console = mallory.run([process.execPath, CONSOLE, '-w', s.jmsIn, '-r', s.jmsOut, 'status-all']);
  t.equal(console.code, 3, `a console of hers gets no coordinator (exit 3): ${console.stderr.trim()}`);
  t.notMatch(console.stderr, /\n\s+at /, 'with no stack trace');
  t.equal(console.stderr.trim().split('\n').length, 1, 'in one line');

  t.ok(fs.statSync(s.out).isDirectory(), 'the output directory is where it was');
  t.equal(fs.readFileSync(join(s.out, jobDir, 'stdout_1'), 'utf8'), 'secret\n', 'the job output is intact');
  t.equal(await ok(s, `kill ${first.jobId}`), `Sent kill signal to JobID ${first.jobId}`, 'the coordinator keeps serving its user');
  await shutdown(t, s, c, /^Served 1 jobs, 0 were still in progress$/);
});
