// Bad input of every kind (SPEC.md §4, Safety): typed into the real console, written
// straight into jms_in, and sent on a session's own request FIFO. Each gets a clear
// one-line error (or, on jms_in where nobody can be answered, a line in the log),
// changes nothing, and the coordinator goes on serving.

import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { encode } from '../../protocol/codec.js';
import { makeFifo, writeAtomic } from '../../protocol/fifo.js';
import { parseReply } from '../../protocol/parse.js';
import { startCoord, type Coord } from '../helpers/coord.js';
import { isAlive } from '../helpers/proc.js';
import { connectRaw, pendingReader, writeRaw } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';

const MIB = 1 << 20;

/** status-all with the running seconds blanked, so two answers compare as states. */
async function states(c: Coord): Promise<string> {
  return (await c.ok('status-all')).replace(/running for \d+ sec/g, 'running for N sec');
}

function assertAlive(t: Test, c: Coord): void {
  t.ok(c.child.exitCode === null && c.child.pid !== undefined && isAlive(c.child.pid), 'the coordinator is alive');
}

/** Waits for the log, from `mark` on, to match `what`. */
async function logged(c: Coord, mark: number, what: RegExp): Promise<void> {
  await waitFor(`the coordinator log to match ${String(what)}`, () => what.test(c.log().slice(mark)));
}

function hello(requestFifo: string, replyFifo: string, version = 1): string {
  return encode({ kind: 'hello', version, pid: process.pid, requestFifo, replyFifo });
}

const CONSOLE_ERRORS: readonly (readonly [string, string])[] = [
  ['frobnicate', "unknown command 'frobnicate'; 'help' lists the commands."],
  ['statu 1', "unknown command 'statu'; did you mean 'status'? 'help' lists the commands."],
  ['status', "status needs a JobID; for example 'status 3'."],
  ['status abc', "'abc' is not a JobID; JobIDs are whole numbers from 1, as submit prints them."],
  ['status 0', "'0' is not a JobID; JobIDs are whole numbers from 1, as submit prints them."],
  ['status 99', "there is no job with JobID 99; 'status-all' lists the known jobs."],
  ['suspend 1', 'cannot suspend JobID 1: it has already finished; only a running job can be suspended.'],
  ['resume 2', 'cannot resume JobID 2: it is running, not suspended; only a suspended job can be resumed.'],
  ['submit', "submit needs a job to run; for example 'submit sleep 10'."],
  ['submit    ', "submit needs a job to run; for example 'submit sleep 10'."],
];

t.test('through the real console', async (t) => {
  const c = await startCoord(t);
  const gate = join(c.dir, 'go');
  await c.ok('submit true');
  await c.ok(`submit while [ ! -e ${gate} ]; do sleep 0.05; done`);
  await waitFor('job 1 to finish', async () => (await c.ok('status 1')) === 'JobID 1 Status: Finished');
  const before = await states(c);
  t.match(before, /^1\. JobID 1 Status: Finished\n2\. JobID 2 Status: Active \(running for N sec\)$/);

  await t.test('one-shot: one exact error line, exit 1, nothing changed', async (t) => {
    for (const [line, message] of CONSOLE_ERRORS) {
      const r = await c.cmd(line);
      t.same({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 1, stdout: '', stderr: `jms_console: error: ${message}\n` }, `'${line}'`);
      t.equal(await states(c), before, `'${line}' changed nothing, and the next command is answered`);
    }
  });

  await t.test('piped: every bad line gets its error and the console reads on', async (t) => {
    const r = await c.feed([...CONSOLE_ERRORS.map(([line]) => line), 'status 1']);
    t.equal(r.code, 1, 'a non-interactive run with failures exits 1');
    t.equal(r.stderr, CONSOLE_ERRORS.map(([, message]) => `jms_console: error: ${message}\n`).join(''));
    t.equal(r.stdout, 'JobID 1 Status: Finished\n', 'the good line after them is answered');
    t.equal(await states(c), before);
  });

  await t.test('1 MiB lines get a short error', async (t) => {
    const big = 'x'.repeat(MIB);
    const r = await c.feed([big, `submit ${big}`, 'status 1']);
    t.equal(r.code, 1);
    t.equal(
      r.stderr,
      `jms_console: error: unknown command '${'x'.repeat(40)}…'; 'help' lists the commands.\n` +
        `jms_console: error: the job is ${MIB} bytes long, more than the 131071 a job may have; put it in a script and submit that.\n`,
    );
    t.equal(r.stdout, 'JobID 1 Status: Finished\n');
    t.equal(await states(c), before);
    assertAlive(t, c);
  });
});

t.test('garbage straight into jms_in is logged and ignored', async (t) => {
  const c = await startCoord(t);
  const pwned = join(c.dir, 'pwned');
  const cases: readonly (readonly [string, string | Buffer, RegExp])[] = [
    ['bytes that are not JSON', 'hello world\n', /ignored a bad handshake on \S+: frame is not valid JSON/],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x0a]), /ignored a bad handshake on \S+: frame is not valid UTF-8/],
    ['a hello without its fields', '{"kind":"hello"}\n', /ignored a bad handshake on \S+: 'version' must be a whole number/],
    ['a JSON array', '[1,2]\n', /ignored a bad handshake on \S+: a handshake must be a JSON object/],
    ['a request instead of a hello', `{"kind":"submit","command":"touch ${pwned}"}\n`, /ignored a bad handshake on \S+: a handshake must have kind 'hello'/],
    ['a line of 10000 bytes', `{"kind":"hello","pad":"${'x'.repeat(10_000)}"}\n`, /ignored a bad handshake on \S+: frame larger than 4096 bytes/],
  ];
  for (const [what, bytes, refusal] of cases) {
    const mark = c.log().length;
    writeRaw(c.jmsIn, bytes);
    await logged(c, mark, refusal);
    t.pass(`${what}: the log says why it was ignored`);
    t.equal(await c.ok('status-all'), '', `${what}: a console is served after it, and nothing changed`);
  }
  t.notOk(fs.existsSync(pwned), 'a request on jms_in ran nothing');

  // Empty lines are what consoles send to end a stray partial line: ignored without a word.
  let mark = c.log().length;
  writeRaw(c.jmsIn, '\n\n');
  writeRaw(c.jmsIn, 'sentinel\n');
  await logged(c, mark, /ignored a bad handshake on \S+: frame is not valid JSON/);
  t.equal(c.log().slice(mark).split('\n').filter((l) => l.includes('ignored')).length, 1, 'empty lines are ignored, and not logged');
  t.equal(await c.ok('status-all'), '');

  // A frame may reach the coordinator in pieces; garbage ending later is one bad frame.
  mark = c.log().length;
  writeRaw(c.jmsIn, 'not a handshake, without its newline');
  assertAlive(t, c);
  writeRaw(c.jmsIn, ' until now\n');
  await logged(c, mark, /ignored a bad handshake on \S+: frame is not valid JSON/);
  t.equal(await c.ok('status-all'), '', 'a partial line, ended later, leaves the next console served');

  mark = c.log().length;
  writeRaw(c.jmsIn, '{"kind":"hello","version":1,');
  writeRaw(c.jmsIn, '"pid":4242,"requestFifo":"in.rel","replyFifo":"out.rel"}\n');
  await logged(c, mark, /console 4242: refused: its FIFO paths must be absolute/);
  t.pass('a hello written in two pieces is read whole (and refused: its paths are relative)');
  t.equal(await c.ok('status-all'), '');
  t.notMatch(c.log(), /internal error/);
  assertAlive(t, c);
});

t.test('a dangling partial line on jms_in does not lock other consoles out', async (t) => {
  const c = await startCoord(t);
  const mark = c.log().length;
  writeRaw(c.jmsIn, '{"kind":"hel');
  const r = await c.cmd('status-all');
  t.same({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 0, stdout: '', stderr: '' }, 'a console is served while the partial line dangles');
  await logged(c, mark, /ignored a bad handshake on \S+: frame is not valid JSON/);
  t.pass('the dangling bytes were dropped as one bad frame');

  const mark2 = c.log().length;
  writeRaw(c.jmsIn, 'y'.repeat(10_000));
  t.equal(await c.ok('status-all'), '', 'and while 10000 bytes without a newline dangle');
  await logged(c, mark2, /ignored a bad handshake on \S+: frame larger than 4096 bytes/);
  t.notMatch(c.log(), /refused/);
  assertAlive(t, c);
});

t.test('handshakes naming anything but the console\'s own FIFOs are refused', async (t) => {
  const c = await startCoord(t);
  const at = (name: string): string => join(c.dir, name);
  const requestFifo = at('req.fifo');
  makeFifo(requestFifo);

  await t.test('FIFOs that do not exist', async (t) => {
    const mark = c.log().length;
    await writeAtomic(c.jmsIn, hello(at('no.req'), at('no.rep')), 5000);
    await logged(c, mark, /refused: ENOENT\S* no such file or directory, lstat '\S+no\.rep'/);
    t.notOk(fs.existsSync(at('no.req')) || fs.existsSync(at('no.rep')), 'nothing was created at those paths');
  });

  await t.test('a regular file as replyFifo is never opened', async (t) => {
    const file = at('precious.txt');
    fs.writeFileSync(file, 'precious data\n');
    const st = fs.statSync(file);
    const mark = c.log().length;
    await writeAtomic(c.jmsIn, hello(requestFifo, file), 5000);
    await logged(c, mark, new RegExp(`refused: ${file} is not a FIFO`));
    const after = fs.statSync(file);
    t.equal(fs.readFileSync(file, 'utf8'), 'precious data\n', 'same content');
    t.same([after.size, after.mtimeMs, after.ino], [st.size, st.mtimeMs, st.ino], 'same size, mtime and inode');
  });

  await t.test('a regular file as requestFifo is refused and no welcome is sent', async (t) => {
    const file = at('input.txt');
    fs.writeFileSync(file, '{"kind":"submit","id":1,"command":"true"}\n');
    const replyFifo = at('rep1.fifo');
    makeFifo(replyFifo);
    const reply = pendingReader(replyFifo);
    const mark = c.log().length;
    await writeAtomic(c.jmsIn, hello(file, replyFifo), 5000);
    await logged(c, mark, new RegExp(`refused: ${file} is not a FIFO`));
    t.equal((await reply.release()).toString(), '', 'nothing came on the reply FIFO');
    t.equal(await c.ok('status-all'), '', 'the request written in the file was not run');
  });

  await t.test('a symlink to a FIFO is refused, for either FIFO', async (t) => {
    const target = at('target.fifo');
    makeFifo(target);
    const link = at('link.fifo');
    fs.symlinkSync(target, link);
    const reader = pendingReader(target);
    let mark = c.log().length;
    await writeAtomic(c.jmsIn, hello(requestFifo, link), 5000);
    await logged(c, mark, new RegExp(`refused: ${link} is a symbolic link, not a FIFO`));
    t.equal((await reader.release()).toString(), '', 'nothing was written through the link');

    const replyFifo = at('rep2.fifo');
    makeFifo(replyFifo);
    const reply = pendingReader(replyFifo);
    mark = c.log().length;
    await writeAtomic(c.jmsIn, hello(link, replyFifo), 5000);
    await logged(c, mark, new RegExp(`refused: ${link} is a symbolic link, not a FIFO`));
    t.equal((await reply.release()).toString(), '', 'no welcome for a linked request FIFO');
  });

  await t.test('a FIFO open to other users is refused', async (t) => {
    const open = at('open.fifo');
    makeFifo(open);
    fs.chmodSync(open, 0o622);
    const reader = pendingReader(open);
    const mark = c.log().length;
    await writeAtomic(c.jmsIn, hello(requestFifo, open), 5000);
    await logged(c, mark, new RegExp(`refused: ${open} is open to other users \\(mode 622\\)`));
    t.equal((await reader.release()).toString(), '', 'nothing was written to it');
  });

  await t.test('another protocol version gets a clear refusal', async (t) => {
    const raw = await connectRaw(c.jmsIn, c.jmsOut, { version: 2 });
    t.teardown(() => raw.close());
    t.match(raw.welcome, { kind: 'refused', version: 1, message: /^the coordinator speaks protocol 1 and this console 2; use a jms_console and jms_coord of the same JMS version\.$/ });
  });

  t.equal(await c.ok('status-all'), '', 'a real console is served after all of them');
  t.notMatch(c.log(), /internal error/);
  assertAlive(t, c);
});

t.test('garbage on a session\'s own FIFO gets E_BAD_REQUEST and the session goes on', async (t) => {
  const c = await startCoord(t);
  await c.ok('submit true');
  const raw = await connectRaw(c.jmsIn, c.jmsOut);
  t.teardown(() => raw.close());
  const cases: readonly (readonly [string, string | Buffer, number, RegExp])[] = [
    ['not JSON', 'not json\n', 0, /^the coordinator could not read a request \(frame is not valid JSON\); use a jms_console of the same JMS version\.$/],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d, 0x0a]), 0, / \(frame is not valid UTF-8\); /],
    ['an unknown kind', '{"kind":"nope","id":5}\n', 5, /^the coordinator refused a request \('kind' must be one of submit, status, /],
    ['a jobId that is not a number', '{"kind":"status","id":6,"jobId":"x"}\n', 6, / \('jobId' must be a whole number\); /],
    ['a blank job', '{"kind":"submit","id":7,"command":"   "}\n', 7, / \(submit needs a job to run\); /],
    ['a line of 300 KiB', `{"kind":"submit","id":8,"command":"${'x'.repeat(300 * 1024)}"}\n`, 0, / \(frame larger than 262144 bytes\); /],
  ];
  let next = 100;
  for (const [what, bytes, id, message] of cases) {
    const from = raw.frames.length;
    const check = ++next;
    await raw.send(bytes);
    await raw.request({ kind: 'status', id: check, jobId: 1 });
    await waitFor(`the answer to request ${check}`, () => raw.repliesTo(check).length > 0);
    const got = raw.frames.slice(from);
    t.equal(got.length, 2, `${what}: one error reply, then the next request's reply`);
    t.match(got[0], { kind: 'error', id, code: 'E_BAD_REQUEST', message }, `${what}: the error`);
    t.match(got[1], { kind: 'status', id: check, job: { jobId: 1 } }, `${what}: the session goes on`);
  }
  t.match(await c.ok('status-all'), /^1\. JobID 1 Status: (Finished|Active \(running for \d+ sec\))$/, 'no job was added');
  t.notMatch(c.log(), /internal error/);
  assertAlive(t, c);
});

t.test('an error reply to a request with a negative id is itself a valid reply', async (t) => {
  const c = await startCoord(t);
  const raw = await connectRaw(c.jmsIn, c.jmsOut);
  t.teardown(() => raw.close());
  await raw.request({ kind: 'show-pools', id: -1 });
  await raw.request({ kind: 'show-pools', id: 9 });
  await waitFor('the answer to request 9', () => raw.repliesTo(9).length > 0);
  const [error] = raw.frames;
  t.match(error, { kind: 'error', id: 0, code: 'E_BAD_REQUEST', message: /'id' must be between 0 and / });
  t.notOk('invalid' in parseReply(error), `the coordinator's reply ${JSON.stringify(error)} parses as a Reply`);
});
