// `logs` as a user meets it: the job's bytes exactly (binary, no newline added, invalid
// UTF-8 untouched), -n N from the end, a 64 MB single line and a large file in bounded time
// and memory, SIGTERM and SIGINT ending it at once (even while its reader is slow), a purged
// directory's hint, and --json pieces of a long line.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CONSOLE, run, SCRIPT, startCoord, submitted, testEnv, type Coord } from '../helpers/coord.js';
import { waitFor } from '../helpers/wait.js';

const MB = 1024 * 1024;

interface Raw {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** A one-shot console, its stdout as bytes. */
function consoleBytes(c: Coord, args: readonly string[]): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, ...args], { cwd: c.dir, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }));
  });
}

async function finishedJob(c: Coord, job: string): Promise<number> {
  const { jobId } = submitted(await c.ok(`submit ${job}`));
  await waitFor(`job ${jobId} to finish`, async () => (await c.ok(`status ${jobId}`)) === `JobID ${jobId} Status: Finished`, 30_000);
  return jobId;
}

t.test("the job's bytes, exactly", async (t) => {
  const c = await startCoord(t);
  const id = await finishedJob(c, String.raw`printf 'caf\303\251\n\377\000bin\nno newline at the end \303'; printf 'e\rr\n' >&2`);
  const want = Buffer.concat([Buffer.from('café\n'), Buffer.from([0xff, 0x00]), Buffer.from('bin\nno newline at the end '), Buffer.from([0xc3])]);
  const all = await consoleBytes(c, ['logs', String(id)]);
  t.equal(all.code, 0, all.stderr);
  t.ok(all.stdout.equals(want), `stdout byte for byte, invalid UTF-8 and no added newline: ${all.stdout.toString('hex')}`);
  const last = await consoleBytes(c, ['logs', String(id), '-n', '1']);
  t.ok(last.stdout.equals(Buffer.concat([Buffer.from('no newline at the end '), Buffer.from([0xc3])])), '-n 1: the last line, as it is');
  const two = await consoleBytes(c, ['logs', String(id), '-n2']);
  t.ok(two.stdout.equals(want.subarray(6)), '-n2: the last two lines');
  const none = await consoleBytes(c, ['logs', String(id), '-n', '0']);
  t.equal(none.stdout.length, 0, '-n 0: nothing');
  const err = await consoleBytes(c, ['logs', String(id), '--stderr']);
  t.ok(err.stdout.equals(Buffer.from('e\rr\n')), '--stderr: the bytes of stderr');

  const json = await run(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, '--json', 'logs', String(id)], { cwd: c.dir });
  const docs = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
  t.same(docs, [
    { jobId: id, stream: 'stdout', line: 'café', newline: true },
    { jobId: id, stream: 'stdout', line: '\ufffd\u0000bin', newline: true },
    { jobId: id, stream: 'stdout', line: 'no newline at the end \ufffd', newline: false },
  ], '--json: one document a line; newline false on the last, which has none');
});

t.test('a 64 MB single line and a large file: linear, bounded, -n from the end', async (t) => {
  const c = await startCoord(t);
  const line = await finishedJob(c, "head -c 67108864 /dev/zero | tr '\\0' x");
  const big = await finishedJob(c, 'seq 1 6000000');
  const timed = async (args: string, reader: string): Promise<{ out: string; rssMb: number; ms: number }> => {
    const cmd = `/usr/bin/time -f 'rss %M' -o '${join(c.dir, 'rss')}' '${process.execPath}' '${CONSOLE}' -w '${c.jmsIn}' -r '${c.jmsOut}' ${args} | ${reader}`;
    const began = Date.now();
    const r = await run('bash', ['-o', 'pipefail', '-c', cmd], { cwd: c.dir, timeoutMs: 60_000 });
    const ms = Date.now() - began;
    t.equal(r.code, 0, `${args} | ${reader}: ${r.stderr}`);
    const rssMb = Number(/rss (\d+)/.exec(fs.readFileSync(join(c.dir, 'rss'), 'utf8'))?.[1] ?? 0) / 1024;
    return { out: r.stdout, rssMb, ms };
  };
  const whole = await timed(`logs ${line}`, 'wc -c');
  t.equal(whole.out.trim(), String(64 * MB), 'all 64 MB of the line, no byte added');
  t.ok(whole.rssMb < 160, `the console's memory stays bounded: ${whole.rssMb.toFixed(0)} MB RSS at most for a 64 MB line`);
  t.ok(whole.ms < 20_000, `in ${whole.ms} ms (Node start-up included)`);
  const tail = await timed(`logs ${line} -n 1`, 'wc -c');
  t.equal(tail.out.trim(), String(64 * MB), '-n 1 of one line is that line');

  const size = fs.statSync(join([...fs.readdirSync(c.out)].filter((n) => n.includes(`_${big}_`)).map((n) => join(c.out, n))[0] ?? '', `stdout_${big}`)).size;
  const last = await timed(`logs ${big} -n 3`, 'cat');
  t.equal(last.out, '5999998\n5999999\n6000000\n', `-n 3 of a ${(size / MB).toFixed(0)} MB file`);
  t.ok(last.ms < 5000, `-n 3 reads from the end: ${last.ms} ms, Node start-up included`);
  const all = await timed(`logs ${big}`, 'tail -1');
  t.equal(all.out, '6000000\n', 'logs | tail -1');
  t.ok(all.rssMb < 160, `${all.rssMb.toFixed(0)} MB RSS at most`);
  t.comment(`measured: 64 MB line ${whole.ms} ms, ${whole.rssMb.toFixed(0)} MB; ${(size / MB).toFixed(0)} MB file | tail -1 ${all.ms} ms; -n 3 ${last.ms} ms`);
});

t.test('SIGTERM and SIGINT end logs at once, even with a reader that does not read', async (t) => {
  const c = await startCoord(t);
  const id = await finishedJob(c, 'seq 1 3000000');
  const gate = join(c.dir, 'gate');
  const follow = submitted(await c.ok(`submit echo begun; while [ ! -e ${gate} ]; do sleep 0.05; done`));
  const cases: ReadonlyArray<[string, string[], NodeJS.Signals, number]> = [
    ['logs of 20 MB, stdout unread', ['logs', String(id)], 'SIGTERM', 143],
    ['the same, SIGINT', ['logs', String(id)], 'SIGINT', 130],
    ['logs -f of a running job', ['logs', String(follow.jobId), '-f'], 'SIGINT', 130],
    ['logs -f, SIGTERM', ['logs', String(follow.jobId), '-f'], 'SIGTERM', 143],
  ];
  for (const [what, args, sig, code] of cases) {
    const child = spawn(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, ...args], { cwd: c.dir, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const ended = new Promise<number | null>((resolve) => child.on('exit', (exit) => resolve(exit)));
    let got = 0;
    child.stdout.once('data', (b: Buffer) => {
      got = b.length;
      // From here on nobody reads: the pipe fills and the console waits for room.
      child.stdout.pause();
    });
    await waitFor(`${what}: the first bytes`, () => got > 0);
    const sent = Date.now();
    child.kill(sig);
    const exit = await ended;
    t.equal(exit, code, `${what}: ${sig} ends it with status ${code}`);
    t.ok(Date.now() - sent < 2000, `${what}: at once (${Date.now() - sent} ms)`);
  }
  fs.writeFileSync(gate, '');
});

t.test("a purged directory: the error's hint is a command that works", async (t) => {
  const c = await startCoord(t);
  const id = await finishedJob(c, 'echo hi');
  const purge = await run('bash', [SCRIPT, '-l', c.out, '-c', 'purge']);
  t.equal(purge.stdout, 'Removed 1 job directories\n');
  const r = await c.cmd(`logs ${id}`);
  t.equal(r.code, 1);
  const m = /^jms_console: error: cannot read the output of JobID \d+: \S+ is gone \(was its directory purged\?\); '([^']+)' shows the job\.\n$/.exec(r.stderr);
  t.ok(m, `one line, with a hint: ${r.stderr}`);
  const hint = await c.cmd(m?.[1] ?? 'help');
  t.equal(hint.code, 0, `the hint '${m?.[1]}' works as printed`);
  t.match(hint.stdout, new RegExp(`^JobID: ${id}\\n`));
});

t.test('--json: a long line comes in pieces that join back', async (t) => {
  const c = await startCoord(t);
  const id = await finishedJob(c, "head -c 200000 /dev/zero | tr '\\0' y; echo; echo short");
  const r = await run(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, '--json', 'logs', String(id)], { cwd: c.dir });
  const docs = r.stdout.trimEnd().split('\n').map((l) => {
    const d = JSON.parse(l) as unknown;
    const line = typeof d === 'object' && d !== null && 'line' in d && typeof d.line === 'string' ? d.line : '';
    return { line, newline: typeof d === 'object' && d !== null && 'newline' in d && d.newline === true };
  });
  t.same(docs.map((d) => d.newline), [false, false, false, true, true], 'pieces of 64 KiB, then the end of the line, then the next');
  t.equal(docs.map((d) => d.line + (d.newline ? '\n' : '')).join(''), `${'y'.repeat(200_000)}\nshort\n`, 'joined, they are the output');
});
