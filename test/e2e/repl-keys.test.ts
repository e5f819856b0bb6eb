// The keys of the interactive console through a real terminal (util-linux `script`, and an
// interactive bash on it for job control): ^C cancels `wait` and `logs -f` (the coordinator
// forgets the waiter, the job runs on, no late answer is printed), a second ^C at an empty
// prompt leaves, ^Z and `fg` (and SIGTSTP from elsewhere) stop and continue the REPL with the
// terminal's own modes while it is stopped, and every way out gives the terminal its modes back.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startCoord, submitted, type Coord } from '../helpers/coord.js';
import { procStat } from '../helpers/proc.js';
import { consoleLine, consolePids, Terminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const CTRL_C = '\x03';
const CTRL_D = '\x04';
const CTRL_Z = '\x1a';

function env(c: Coord): Record<string, string> {
  return { XDG_STATE_HOME: join(c.dir, 'state'), NO_COLOR: '1' };
}

/** The one console on `c` running now. */
async function theConsole(c: Coord): Promise<number> {
  return waitFor('the console to run', () => {
    const pids = consolePids(c.jmsIn);
    return pids.length === 1 ? pids[0] : undefined;
  });
}

t.test('^C cancels wait and logs -f: the prompt comes back, the coordinator forgets, the job runs on', async (t) => {
  const c = await startCoord(t);
  const gate = join(c.dir, 'gate');
  const job = submitted(await c.ok(`submit echo started; while [ ! -e ${gate} ]; do sleep 0.05; done; echo done`));
  const term = Terminal.console(c, env(c));
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.expect(/jms> $/);

  term.next();
  term.type(`wait ${job.jobId}\r`);
  await term.expect(new RegExp(`^wait ${job.jobId}\\n$`));
  const mark = c.log().length;
  term.type(CTRL_C);
  await term.expect(new RegExp(`^wait ${job.jobId}\\n\\^C\\njms> $`));
  await waitFor('the coordinator to log the cancel', () => /console \d+: request \d+ cancelled/.test(c.log().slice(mark)));
  t.pass('the coordinator was told, and forgot the waiter');

  term.next();
  term.type(`status ${job.jobId}\r`);
  await term.expect(new RegExp(`JobID ${job.jobId} Status: Active \\(running for \\d+ seconds\\)\\njms> $`));
  t.pass('the job runs on, and the next command is answered');

  term.next();
  term.type(`logs ${job.jobId} -f\r`);
  await term.expect(/started\n$/);
  term.type(CTRL_C);
  await term.expect(/started\n\^C\njms> $/);
  t.pass('logs -f stops at ^C');

  fs.writeFileSync(gate, '');
  await waitFor('the job to finish', async () => (await c.ok(`status ${job.jobId}`)) === `JobID ${job.jobId} Status: Finished`);
  term.next();
  term.type(`status ${job.jobId}\r`);
  const after = await term.expect(new RegExp(`JobID ${job.jobId} Status: Finished\\njms> $`));
  t.notMatch(term.text, /succeeded|done/, `no late answer of the cancelled wait or logs: ${JSON.stringify(after)}`);
  t.equal(await c.ok(`logs ${job.jobId}`), 'started\ndone', 'the job ran to its end');
  term.type(CTRL_D);
  t.equal(await term.ended, 0);
});

t.test('^D during a command cancels it and leaves', async (t) => {
  const c = await startCoord(t);
  const job = submitted(await c.ok('submit sleep 300'));
  const term = Terminal.console(c, env(c));
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.expect(/jms> $/);
  term.next();
  term.type(`wait ${job.jobId}\r`);
  await term.expect(/^wait \d+\n$/);
  const mark = c.log().length;
  term.type(CTRL_D);
  t.equal(await term.ended, 0, 'the console leaves at once, exit status 0');
  await waitFor('the coordinator to forget the wait', () => /request \d+ cancelled|gone; forgot 1 request/.test(c.log().slice(mark)));
  t.match(await c.ok(`status ${job.jobId}`), /Status: Active/, 'the job runs on');
});

t.test('with -o, the banner comes first, then the file, then the prompt', async (t) => {
  const c = await startCoord(t);
  const ops = join(c.dir, 'setup.ops');
  fs.writeFileSync(ops, '# set up\nsubmit true\nshow-pools\n');
  const term = new Terminal(`${consoleLine(c)} -o '${ops}'`, c.dir, env(c));
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.expect(/^Connected to the JMS coordinator \(pid \d+\)\. Type 'help' for the commands, \^D to leave\.\njms> submit true\nJobID: 1, PID: \d+\njms> show-pools\nPool & NumOfJobs:\n1\. \d+ \d\njms> $/);
  t.pass('in that order');
  term.type(CTRL_D);
  t.equal(await term.ended, 0);
});

t.test('^C at an empty prompt says how to leave; a second ^C there leaves', async (t) => {
  const c = await startCoord(t);
  const term = Terminal.console(c, env(c));
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.expect(/jms> $/);
  term.next();
  term.type(CTRL_C);
  await term.expect(/^\^C\n\(To leave, press \^C again or \^D, or type exit\.\)\njms> $/);
  // Anything else in between starts over: a ^C after a command asks again.
  term.next();
  term.type('show-active\r');
  await term.expect(/Active jobs:\njms> $/);
  term.next();
  term.type(CTRL_C);
  await term.expect(/\(To leave, press \^C again or \^D, or type exit\.\)\njms> $/);
  term.type(CTRL_C);
  t.equal(await term.ended, 0, 'the second ^C leaves, exit status 0');
  t.equal(c.child.exitCode, null, 'the coordinator keeps running');
});

/** `stty -g` of the pty, written by the shell on it to `file`, once the prompt is back. */
async function modes(term: Terminal, file: string): Promise<string> {
  term.next();
  term.type(`stty -g > '${file}'\r`);
  await term.expect(/\$ $/);
  return waitFor(`${file} to be written`, () => {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
    return text === '' ? undefined : text;
  });
}

t.test('^Z and fg, and SIGTSTP from elsewhere: stopped with the terminal as it was, answering after', async (t) => {
  const c = await startCoord(t);
  const job = submitted(await c.ok('submit sleep 300'));
  const term = Terminal.shell(c.dir, env(c));
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.expect(/\$ $/);
  const before = await modes(term, join(c.dir, 'before'));

  term.next();
  term.type(`${consoleLine(c)}\r`);
  await term.expect(/jms> $/);
  const pid = await theConsole(c);
  term.next();
  term.type(CTRL_Z);
  await term.expect(/Stopped[^\n]*\n\$ $/);
  t.equal(procStat(pid)?.state, 'T', 'the console is stopped');
  t.equal(await modes(term, join(c.dir, 'stopped')), before, 'the terminal has its own modes back while it is stopped');

  term.next();
  term.type('fg\r');
  await term.expect(/jms> $/);
  term.next();
  term.type(`status ${job.jobId}\r`);
  await term.expect(new RegExp(`^status ${job.jobId}\\nJobID ${job.jobId} Status: Active \\(running for \\d+ seconds\\)\\njms> $`));
  t.pass('after fg, a command is echoed and answered');

  term.next();
  process.kill(pid, 'SIGTSTP');
  await term.expect(/Stopped[^\n]*\n\$ $/);
  t.equal(procStat(pid)?.state, 'T', 'SIGTSTP from elsewhere stops it too');
  t.equal(await modes(term, join(c.dir, 'stopped2')), before, 'with the modes given back');
  term.next();
  // bash's fg sends SIGCONT and gives the console the terminal again.
  term.type('fg\r');
  await term.expect(/jms> $/);
  term.next();
  term.type('show-active\r');
  await term.expect(new RegExp(`^show-active\\nActive jobs:\\n1\\. JobID ${job.jobId}\\njms> $`));
  t.pass('after SIGTSTP and SIGCONT, a command is echoed and answered');

  term.type('exit\r');
  await term.expect(/\$ $/);
  t.equal(await modes(term, join(c.dir, 'after')), before, 'and the same modes after it has left');
  term.type('exit\r');
  await term.ended;
});

t.test('every way out gives the terminal its modes back', async (t) => {
  const c = await startCoord(t);
  await c.ok('submit sleep 300');
  const term = Terminal.shell(c.dir, env(c));
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.expect(/\$ $/);
  const before = await modes(term, join(c.dir, 'before'));
  const ways: ReadonlyArray<readonly [string, (pid: number) => void]> = [
    ['exit', () => term.type('exit\r')],
    ['^D', () => term.type(CTRL_D)],
    ['^C twice', () => term.type(`${CTRL_C}${CTRL_C}`)],
    ['SIGTERM', (pid) => process.kill(pid, 'SIGTERM')],
    ['SIGHUP', (pid) => process.kill(pid, 'SIGHUP')],
    ['SIGTERM during a wait', (pid) => {
      term.type('wait 1\r');
      void term.expect(/^wait 1\n$/).then(() => process.kill(pid, 'SIGTERM'), () => undefined);
    }],
  ];
  for (const [i, [what, leave]] of ways.entries()) {
    term.next();
    term.type(`${consoleLine(c)}; echo "status $?"\r`);
    await term.expect(/jms> $/);
    const pid = await theConsole(c);
    term.next();
    leave(pid);
    const status = await term.expect(/status (\d+)\n\$ $/);
    t.ok(status, `${what}: the console ended (${status.trim()})`);
    await waitFor(`console ${pid} to be gone`, () => !consolePids(c.jmsIn).includes(pid));
    t.equal(await modes(term, join(c.dir, `after-${i}`)), before, `${what}: the terminal has its modes back`);
  }
  term.type('exit\r');
  await term.ended;
});

t.test('the coordinator going away gives the terminal its modes back too', async (t) => {
  const c = await startCoord(t);
  const term = Terminal.shell(c.dir, env(c));
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.expect(/\$ $/);
  const before = await modes(term, join(c.dir, 'before'));
  term.next();
  term.type(`${consoleLine(c)}; echo "status $?"\r`);
  await term.expect(/jms> $/);
  t.equal(await c.ok('shutdown'), 'Served 0 jobs, 0 were still in progress');
  await term.expect(/jms_console: error: the coordinator closed the connection[^\n]*\nstatus 3\n\$ $/);
  t.equal(await modes(term, join(c.dir, 'after')), before, 'the terminal has its modes back');
  term.type('exit\r');
  await term.ended;
});
