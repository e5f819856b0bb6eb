// The console in pipes and scripts: a reader that goes away (`| head -1`, `| grep -q`) ends
// it quietly with status 0; the exit status of piped, -o and one-shot input reflects every
// command run, whatever ends the input (exit, quit, end of file); -o with a command runs
// both, the file first.

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { writeFinishedJournal } from '../../scripts/bench/lib.js';
import { CONSOLE, run, startCoord, type Coord } from '../helpers/coord.js';

const HEAVY = process.env['JMS_HEAVY'] === '1';
const JOBS = 5000;
const RUNS = 20;

/** `jms_console <args> | <reader>` in bash; the console's own exit status and its stderr. */
async function piped(c: Coord, args: string, reader: string): Promise<{ status: number; stderr: string; out: string }> {
  const errFile = join(c.dir, `stderr-${Math.random().toString(36).slice(2)}`);
  const line = `'${process.execPath}' '${CONSOLE}' -w '${c.jmsIn}' -r '${c.jmsOut}' ${args} 2>'${errFile}' | ${reader}; echo "status \${PIPESTATUS[0]}"`;
  const r = await run('bash', ['-c', line], { cwd: c.dir });
  const status = Number(/status (\d+)\n$/.exec(r.stdout)?.[1] ?? -1);
  const stderr = fs.readFileSync(errFile, 'utf8');
  fs.rmSync(errFile);
  return { status, stderr, out: r.stdout.replace(/status \d+\n$/, '') };
}

t.test(`a reader that goes away: ${JOBS} jobs, status-all | head -1, ${RUNS} runs`, async (t) => {
  // 5,000 finished jobs on record, laid down as a journal (as the scale benchmark does): the
  // coordinator replays them at start, with no 5,000 submits and processes to wait for.
  const c = await startCoord(t, { jobsPool: 50, prepare: (out) => void writeFinishedJournal(out, JOBS, os.userInfo().username) });
  t.equal(await c.ok(`status ${JOBS}`), `JobID ${JOBS} Status: Finished`, `${JOBS} jobs on record`);

  const results: Array<{ status: number; stderr: string; out: string }> = [];
  for (let i = 0; i < RUNS; i += 4) {
    results.push(...await Promise.all(Array.from({ length: Math.min(4, RUNS - i) }, () => piped(c, 'status-all', 'head -1'))));
  }
  t.same(results.map((r) => r.status), results.map(() => 0), 'the console exits 0 every time');
  t.same(results.filter((r) => r.stderr !== ''), [], 'and never writes anything on stderr (no EPIPE, no stack trace)');
  t.same([...new Set(results.map((r) => r.out))], ['1. JobID 1 Status: Finished\n'], 'head got its line');

  const grep = await Promise.all([1, 2, 3].map(() => piped(c, 'status-all', 'grep -q "JobID 17 "')));
  t.same(grep.map((r) => [r.status, r.stderr]), grep.map(() => [0, '']), 'grep -q: exit 0, nothing on stderr');
  const help = await piped(c, 'help', 'head -1');
  t.same([help.status, help.stderr, help.out], [0, '', 'Commands:\n'], 'help | head -1 too');
  const both = await piped(c, '--json status-all', 'head -c 10 >/dev/null');
  t.same([both.status, both.stderr], [0, ''], '--json status-all | head -c 10');
});

t.test('exit statuses reflect every command, whatever ends the input', async (t) => {
  const c = await startCoord(t);
  await c.ok('submit true');
  const ops = (name: string, lines: readonly string[]): string => {
    const file = join(c.dir, name);
    fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
    return file;
  };
  const cases: ReadonlyArray<{ what: string; stdin: readonly string[]; args?: readonly string[]; code: number }> = [
    { what: 'a failure, then exit', stdin: ['bogus', 'exit'], code: 1 },
    { what: 'a failure, then quit', stdin: ['status 99', 'quit', 'status 1'], code: 1 },
    { what: 'a failure, then end of input', stdin: ['bogus', 'status 1'], code: 1 },
    { what: 'success, then exit', stdin: ['status 1', 'exit', 'bogus'], code: 0 },
    { what: 'a failed submit among good ones', stdin: ['submit true', 'submit', 'submit true'], code: 1 },
    { what: 'a failure in -o, then a good stdin', stdin: ['status 1'], args: ['-o', ops('bad.ops', ['bogus'])], code: 1 },
    { what: 'a good -o, then a failure on stdin', stdin: ['bogus'], args: ['-o', ops('good.ops', ['status 1'])], code: 1 },
    { what: 'a failure then exit in -o: stdin is not read', stdin: ['status 1'], args: ['-o', ops('exit.ops', ['bogus', 'exit'])], code: 1 },
    { what: 'a good -o ending with exit', stdin: ['bogus'], args: ['-o', ops('good-exit.ops', ['status 1', 'exit'])], code: 0 },
  ];
  for (const k of cases) {
    const r = await c.feed(k.stdin, k.args ?? []);
    t.equal(r.code, k.code, `${k.what}: exit ${k.code} (stderr: ${JSON.stringify(r.stderr)})`);
  }
  const stopped = await c.feed(['status 1'], ['-o', ops('exit2.ops', ['exit'])]);
  t.same([stopped.code, stopped.stdout], [0, 'jms> exit\n'], 'exit in -o ends the session before stdin');
});

t.test('-o with a command runs both, the file first', async (t) => {
  const c = await startCoord(t);
  const file = join(c.dir, 'first.ops');
  fs.writeFileSync(file, 'submit true\nstatus 1\n');
  const both = await c.cmd(`-o ${file} show-finished`);
  t.equal(both.code, 0, both.stderr);
  t.match(both.stdout, /^jms> submit true\nJobID: 1, PID: \d+\njms> status 1\nJobID 1 Status: (Active \(running for \d+ seconds\)|Finished)\nFinished jobs:\n/,
    "the file's commands, echoed with their answers, then the command's answer");

  fs.writeFileSync(file, 'bogus\n');
  const failedFile = await c.cmd(`-o ${file} status 1`);
  t.same([failedFile.code, failedFile.stdout], [1, 'jms> bogus\nJobID 1 Status: Finished\n'], 'a failure in the file: exit 1, and the command still runs');
  const failedCommand = await c.cmd(`-o ${file} status 99`);
  t.equal(failedCommand.code, 1, 'a failing command: exit 1');

  fs.writeFileSync(file, 'status 1\nexit\n');
  const ended = await c.cmd(`-o ${file} status 1`);
  t.equal(ended.code, 1, 'a file that ends the session and a command: exit 1');
  t.match(ended.stderr, /^jms_console: error: the operations file ends the session \(exit, quit or shutdown\), so 'status 1' was not run; take that line out of \S+ to run both\.\n$/, 'saying the command was not run');
});

t.test('heavy: 50,000 lines to a reader that goes away', { skip: HEAVY ? false : 'set JMS_HEAVY=1 to run it' }, async (t) => {
  const c = await startCoord(t, { jobsPool: 50, prepare: (out) => void writeFinishedJournal(out, 50_000, os.userInfo().username) });
  const r = await piped(c, 'status-all', 'head -1');
  t.same([r.status, r.stderr], [0, '']);
});
