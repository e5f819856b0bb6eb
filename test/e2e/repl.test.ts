// The interactive console as a person sees it: a real pseudo-terminal (util-linux
// `script`), keys typed one burst at a time, the screen read back. Checks the prompt,
// help, tab completion of commands and job ids, history (also across sessions),
// ^C, colour only on a terminal, and that ^D leaves the console, not the coordinator.

import fs from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { startCoord } from '../helpers/coord.js';
import { Terminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const UP = '\x1b[A';

t.test('prompt, help, completion, history, ^C and ^D', async (t) => {
  const c = await startCoord(t);
  const state = join(c.dir, 'state');
  const term = Terminal.console(c, { XDG_STATE_HOME: state, NO_COLOR: '1' });
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.expect(/Connected to the JMS coordinator \(pid \d+\)[^\n]*\njms> $/);

  term.next();
  term.type('hel\t');
  await term.expect(/help $/);
  term.type('\r');
  t.match(await term.expect(/Commands:\n[\s\S]*shutdown[^\n]*\n[\s\S]*jms> $/), /submit \[<options>\] \[--\] <job> +run a job/);

  term.next();
  term.type('help suspend\r');
  t.match(await term.expect(/usage: suspend <JobID>\n.*\nexample: suspend 3\n/), /SIGSTOP/);

  term.next();
  term.type('show-p\t');
  await term.expect(/show-pools $/);
  term.type('\r');
  await term.expect(/Pool & NumOfJobs:\njms> $/);

  term.next();
  term.type('submit sleep 300\r');
  await term.expect(/JobID: 1, PID: \d+\njms> $/);
  term.next();
  term.type(UP);
  await term.expect(/jms> submit sleep 300$/);
  term.type('\r');
  await term.expect(/JobID: 2, PID: \d+\njms> $/);

  // Job ids complete: `suspend` offers the running jobs.
  term.next();
  term.type('suspend ');
  await term.expect(/suspend $/);
  // Two tabs list the candidates; they go as two keystrokes, as a person types them
  // (input pacing, not a wait for a result: what follows polls).
  term.type('\t');
  await delay(200);
  term.type('\t');
  await term.expect(/1\s+2\s*\n/);
  term.type('2\r');
  await term.expect(/Sent suspend signal to JobID 2\n/);
  term.next();
  term.type('resume \t');
  await term.expect(/resume 2 $/);
  term.type('\r');
  await term.expect(/Sent resume signal to JobID 2\njms> $/);

  // Errors keep the REPL; a near miss is corrected.
  term.next();
  term.type('stauts 1\r');
  await term.expect(/jms_console: error: unknown command 'stauts'; did you mean 'status'\? 'help' lists the commands\.\njms> $/);

  // ^C clears the line, the console stays.
  term.next();
  term.type('submit half-typed');
  await term.expect(/half-typed$/);
  term.type('\x03');
  // As a terminal shows it: the line stays, ^C ends it, a fresh prompt follows.
  await term.expect(/^submit half-typed\^C\njms> $/);
  term.next();
  term.type('status 1\r');
  await term.expect(/JobID 1 Status: Active \(running for \d+ seconds\)\njms> $/);

  // ^D leaves the console; the coordinator keeps serving.
  term.type('\x04');
  t.equal(await term.ended, 0, 'the console ends with status 0');
  t.equal(c.child.exitCode, null, 'the coordinator is still running');
  t.match(await c.ok('status 2'), /^JobID 2 Status: Active/);

  const history = fs.readFileSync(join(state, 'jms', 'history'), 'utf8');
  t.match(history, /^help\n[\s\S]*submit sleep 300\n[\s\S]*status 1\n$/, 'history is kept in the state directory');
  t.equal(fs.statSync(join(state, 'jms', 'history')).mode & 0o777, 0o600, 'history is private');

  // A new session recalls the last one's history.
  const again = Terminal.console(c, { XDG_STATE_HOME: state, NO_COLOR: '1' });
  t.teardown(() => again.child.kill('SIGKILL'));
  await again.expect(/jms> $/);
  again.next();
  again.type(UP);
  await again.expect(/jms> status 1$/);
  again.type('\x15exit\r');
  t.equal(await again.ended, 0, '`exit` leaves too');
});

t.test('colour on a terminal, none with NO_COLOR or through a pipe', async (t) => {
  const c = await startCoord(t);
  await c.ok('submit true');
  await waitFor('job 1 to finish', async () => (await c.ok('status 1')) === 'JobID 1 Status: Finished');

  const coloured = Terminal.console(c, { XDG_STATE_HOME: join(c.dir, 'state') });
  t.teardown(() => coloured.child.kill('SIGKILL'));
  await coloured.expect(/jms> $/);
  coloured.next();
  coloured.type('status 1\r');
  await coloured.expect(/JobID 1 Status: Finished\n/);
  t.match(coloured.rawSinceMark, /\x1b\[32mFinished\x1b\[39m/, 'a job that succeeded is green');
  coloured.type('\x04');
  await coloured.ended;

  const plain = Terminal.console(c, { XDG_STATE_HOME: join(c.dir, 'state'), NO_COLOR: '1' });
  t.teardown(() => plain.child.kill('SIGKILL'));
  await plain.expect(/jms> $/);
  plain.next();
  plain.type('status 1\r');
  await plain.expect(/JobID 1 Status: Finished\n/);
  t.notMatch(plain.rawSinceMark, /\x1b\[3\dm/, 'NO_COLOR turns colour off');
  plain.type('\x04');
  await plain.ended;

  const piped = await c.feed(['status 1']);
  t.equal(piped.stdout, 'JobID 1 Status: Finished\n', 'no escape codes through a pipe');
});

t.test('the coordinator going away ends an idle REPL with a clear message', async (t) => {
  const c = await startCoord(t);
  const term = Terminal.console(c, { XDG_STATE_HOME: join(c.dir, 'state'), NO_COLOR: '1' });
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.expect(/jms> $/);
  term.next();
  t.equal(await c.ok('shutdown'), 'Served 0 jobs, 0 were still in progress');
  await term.expect(/jms_console: error: the coordinator closed the connection \(it has shut down or died\); start one again with 'jms_coord [^']*'\./);
  t.equal(await term.ended, 3, 'exit status 3: no coordinator');
});

t.test('batch names complete after the commands that take a batch', async (t) => {
  const c = await startCoord(t);
  for (const [ns, name] of [['alice', 'sweep-1'], ['alice', 'sweep-2'], ['bob', 'sweep-2'], ['alice', 'other']]) {
    const file = join(c.dir, `${ns}-${name}.yaml`);
    fs.writeFileSync(file, `name: ${name}\nnamespace: ${ns}\njobs:\n  - {name: a, command: "true"}\n`);
    t.match(await c.ok(`submit-batch ${file}`), new RegExp(`^Batch ${ns}/${name}: 1 jobs?`));
  }
  const term = Terminal.console(c, { XDG_STATE_HOME: join(c.dir, 'state'), NO_COLOR: '1' });
  t.teardown(() => term.child.kill('SIGKILL'));
  await term.expect(/jms> $/);
  term.next();
  term.type('status-batch ot\t');
  await term.expect(/status-batch other $/);
  term.type('\r');
  await term.expect(/Batch: alice\/other\n/);
  // Two namespaces share sweep-2: it is offered with its namespace; sweep-1 by its name.
  term.next();
  term.type('export-log sw\t');
  await delay(200);
  term.type('\t');
  const listed = await term.expect(/export-log sw\n[\s\S]*\njms> export-log sw$/);
  for (const w of ['sweep-1', 'alice/sweep-2', 'bob/sweep-2']) t.match(listed, new RegExp(`\\s${w} `), `${w} is a candidate`);
  t.notMatch(listed, /\salice\/sweep-1 |\sother /, 'and nothing else');
  term.type('\x15'); // ^U: the line is cleared
  term.next();
  term.type('kill-batch bob/\t');
  await term.expect(/kill-batch bob\/sweep-2 $/);
  term.type('\x15\x04');
  await term.ended;
});
