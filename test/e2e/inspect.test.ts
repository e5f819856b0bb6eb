// The console's inspection and scripting commands (the command reference beyond the
// classic answers): info, logs (-n, --stderr, -f), --json, -q, the one-shot exit codes,
// jobs running in the console's directory and environment, show-finished --long and
// help. Real coordinator, real /bin/sh jobs, the real jms_console as a separate process.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { CONSOLE, ROOT, jobDirs, run, startCoord, submitted, testEnv, type Coord, type RunResult } from '../helpers/coord.js';
import { isAlive, procStat } from '../helpers/proc.js';
import { connectRaw } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';

// --- running the console -------------------------------------------------------------

/** One-shot `jms_console -w … -r … <args>` in the coordinator's directory. */
function jms(c: Coord, ...args: string[]): Promise<RunResult> {
  return run(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, ...args], { cwd: c.dir });
}

interface Launched {
  /** The console's pid (what `Submitted by` and `submittedBy.consolePid` must name). */
  pid: number;
  child: ChildProcess;
  /** What it has printed so far. */
  out(): string;
  done: Promise<RunResult>;
}

/**
 * A console started and left running, for a test that needs its pid, its own working
 * directory and environment, or its output while it still runs. Killed after
 * `timeoutMs` (the result then shows signal SIGKILL) and at teardown.
 */
function launch(t: Test, c: Coord, args: readonly string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Launched {
  const child = spawn(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, ...args], {
    cwd: opts.cwd ?? c.dir,
    env: testEnv(opts.env ?? {}),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin?.on('error', () => undefined);
  child.stdin?.end();
  const done = new Promise<RunResult>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}spawn failed: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { pid: child.pid ?? -1, child, out: () => stdout, done };
}

async function finished(c: Coord, jobId: number): Promise<void> {
  await waitFor(`job ${jobId} to finish`, async () => (await c.ok(`status ${jobId}`)) === `JobID ${jobId} Status: Finished`);
}

/** A job that runs until `gate` exists. */
function gated(gate: string): string {
  return `while [ ! -e ${gate} ]; do sleep 0.02; done`;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const USER = os.userInfo().username;
const HOST = os.hostname();

// --- reading answers ---------------------------------------------------------------

/** `Field: value` lines as [field, value] pairs, in order. */
function fieldsOf(text: string): [string, string][] {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line): [string, string] => {
      const i = line.indexOf(': ');
      return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 2)];
    });
}

const INFO_FIELDS = [
  'JobID', 'Command', 'Status', 'PID', 'Pool', 'Host', 'Directory', 'Submitted', 'Started', 'Ended', 'Exit', 'Timeout',
  'Working directory', 'Submitted by',
] as const;

/** Local `YYYY-MM-DD HH:MM:SS` as ms, or null. */
function localTime(s: string | undefined): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s ?? '');
  if (m === null) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, sec).getTime();
}

/** [start of the second `began` falls in, now]: where a time shown to the second must fall. */
function windowSince(began: number): [number, number] {
  return [Math.floor(began / 1000) * 1000, Date.now()];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one JSON document, failing the test (and returning undefined) if it is not one. */
function parseJson(t: Test, text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    t.fail(`${what} is JSON: ${JSON.stringify(text)}`);
    return undefined;
  }
}

/** One JSON object per line (an empty answer is no line). */
function jsonLines(t: Test, text: string, what: string): Record<string, unknown>[] {
  if (text === '') return [];
  t.match(text, /\n$/, `${what} ends with a newline`);
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line, i) => {
      const v = parseJson(t, line, `${what}, line ${i + 1}`);
      if (!isRecord(v)) t.fail(`${what}, line ${i + 1} is a JSON object: ${line}`);
      return isRecord(v) ? v : {};
    });
}

/**
 * The single JSON object answer (one line on stdout) of a command that must succeed;
 * undefined, after one failed assertion, when it is not one.
 */
function jsonAnswer(t: Test, r: RunResult, what: string): Record<string, unknown> | undefined {
  if (r.code !== 0) return void t.fail(`${what} exits 0, not ${String(r.code)}: ${r.stderr.trim()}`);
  t.equal(r.stderr, '', `${what}: nothing on stderr`);
  t.match(r.stdout, /^[^\n]*\n$/, `${what}: one line`);
  const v = parseJson(t, r.stdout, what);
  if (v !== undefined && !isRecord(v)) t.fail(`${what} is a JSON object: ${r.stdout}`);
  return isRecord(v) ? v : undefined;
}

/** A `--json` error: nothing on stdout, `{"error":{"code","message"}}` on stderr, exit 1. */
function jsonError(t: Test, r: RunResult, what: string, code: string | RegExp): void {
  t.equal(r.code, 1, `${what} exits 1`);
  t.equal(r.stdout, '', `${what}: nothing on stdout`);
  const v = parseJson(t, r.stderr.trim(), `${what}: stderr`);
  const err = isRecord(v) ? v['error'] : undefined;
  if (!isRecord(err)) return void t.fail(`${what}: stderr is {"error": {…}}: ${r.stderr}`);
  if (typeof code === 'string') t.equal(err['code'], code, `${what}: error code`);
  else t.match(err['code'], code, `${what}: error code`);
  t.match(err['message'], /\S/, `${what}: a message`);
  t.same(Object.keys(v as object), ['error'], `${what}: only "error"`);
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/;

/** An ISO 8601 UTC time within [lo, hi] (to the second); its ms, or NaN. */
function isoIn(t: Test, v: unknown, [lo, hi]: [number, number], what: string): number {
  if (typeof v !== 'string' || !ISO_UTC.test(v)) {
    t.fail(`${what} is an ISO 8601 UTC string: ${JSON.stringify(v)}`);
    return NaN;
  }
  const ms = Date.parse(v);
  t.ok(ms >= lo && ms <= hi + 1000, `${what} (${v}) is between the test's start and now`);
  return ms;
}

const JOB_DOC_FIELDS = [
  'jobId', 'command', 'status', 'outcome', 'exitCode', 'signal', 'reason', 'pid', 'poolPid', 'dir', 'submittedAt',
  'startedAt', 'endedAt', 'runningForSec', 'timeoutSec', 'cwd', 'submittedBy', 'pausedByPauseAll', 'pauseEndsAt',
] as const;

interface DocExpect {
  jobId: number;
  command: string;
  status: 'active' | 'suspended' | 'finished';
  outcome: 'succeeded' | 'failed' | 'killed' | null;
  exitCode: number | null;
  signal: string | null;
  pid: number;
  dir: string;
  cwd: string;
  timeoutSec: number | null;
  /** The submitting console's pid, when the test knows it. */
  consolePid?: number;
  /** When the test began, for the times. */
  began: number;
}

/** Checks a job document field by field; returns its poolPid (or NaN). */
function checkJobDoc(t: Test, v: unknown, e: DocExpect, what: string): number {
  if (!isRecord(v)) {
    t.fail(`${what}: a job document, not ${JSON.stringify(v)}`);
    return NaN;
  }
  for (const k of JOB_DOC_FIELDS) t.ok(k in v, `${what}: field ${k} is present`);
  t.equal(v['jobId'], e.jobId, `${what}: jobId`);
  t.equal(v['command'], e.command, `${what}: command`);
  t.equal(v['status'], e.status, `${what}: status`);
  t.equal(v['outcome'], e.outcome, `${what}: outcome`);
  t.equal(v['exitCode'], e.exitCode, `${what}: exitCode`);
  t.equal(v['signal'], e.signal, `${what}: signal`);
  if (e.outcome !== 'killed') t.equal(v['reason'], null, `${what}: reason is null (the job exited or runs)`);
  else t.ok(v['reason'] === null || typeof v['reason'] === 'string', `${what}: reason is null or a string`);
  t.equal(v['pid'], e.pid, `${what}: pid is the job's pid`);
  const poolPid = v['poolPid'];
  t.ok(typeof poolPid === 'number' && Number.isInteger(poolPid) && poolPid > 1 && poolPid !== e.pid, `${what}: poolPid is a pid (${String(poolPid)})`);
  t.equal(v['dir'], e.dir, `${what}: dir is the job's directory`);
  const window = windowSince(e.began);
  const submittedAt = isoIn(t, v['submittedAt'], window, `${what}: submittedAt`);
  const startedAt = isoIn(t, v['startedAt'], window, `${what}: startedAt`);
  t.ok(submittedAt <= startedAt, `${what}: submitted before it started`);
  if (e.status === 'finished') {
    const endedAt = isoIn(t, v['endedAt'], window, `${what}: endedAt`);
    t.ok(startedAt <= endedAt, `${what}: started before it ended`);
    t.ok(v['runningForSec'] === null || (typeof v['runningForSec'] === 'number' && v['runningForSec'] >= 0), `${what}: runningForSec is null or a number`);
  } else {
    t.equal(v['endedAt'], null, `${what}: endedAt is null while it runs`);
    const sec = v['runningForSec'];
    t.ok(typeof sec === 'number' && Number.isInteger(sec) && sec >= 0, `${what}: runningForSec is whole seconds (${String(sec)})`);
  }
  t.equal(v['timeoutSec'], e.timeoutSec, `${what}: timeoutSec`);
  t.equal(v['cwd'], e.cwd, `${what}: cwd`);
  const by = v['submittedBy'];
  if (isRecord(by)) {
    t.equal(by['user'], USER, `${what}: submittedBy.user`);
    t.equal(by['host'], HOST, `${what}: submittedBy.host`);
    const pid = by['consolePid'];
    t.ok(typeof pid === 'number' && Number.isInteger(pid) && pid > 1, `${what}: submittedBy.consolePid is a number (${String(pid)})`);
    if (e.consolePid !== undefined) t.equal(pid, e.consolePid, `${what}: submittedBy.consolePid is the submitting console's pid`);
  } else {
    t.fail(`${what}: submittedBy is an object: ${JSON.stringify(by)}`);
  }
  t.equal(v['pausedByPauseAll'], false, `${what}: pausedByPauseAll`);
  t.equal(v['pauseEndsAt'], null, `${what}: pauseEndsAt`);
  return typeof poolPid === 'number' ? poolPid : NaN;
}

/** Submits through a launched console (so its pid is known); the job must start. */
async function submitLaunched(t: Test, c: Coord, args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ jobId: number; pid: number; consolePid: number }> {
  const con = launch(t, c, ['submit', ...args], opts);
  const r = await con.done;
  if (r.code !== 0) throw new Error(`submit ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return { ...submitted(r.stdout), consolePid: con.pid };
}

// --- 1. info -----------------------------------------------------------------------

/** `info <id>` as a map of its fields, after checking it answered them all in order; null if it failed. */
async function infoFields(t: Test, c: Coord, jobId: number): Promise<Map<string, string> | null> {
  const r = await jms(c, 'info', String(jobId));
  if (r.code !== 0) {
    t.fail(`info exits 0, not ${String(r.code)}: ${r.stderr}`);
    return null;
  }
  t.equal(r.stderr, '');
  const fields = fieldsOf(r.stdout);
  t.same(fields.map(([k]) => k), INFO_FIELDS, 'the fields of the reference, in its order');
  return new Map(fields);
}

t.test('info: every field, in order, for a job that exited 2', async (t) => {
  const began = Date.now();
  const c = await startCoord(t, { poolIdleMs: 60_000 });
  const job = await submitLaunched(t, c, ['echo out; exit 2']);
  await finished(c, job.jobId);
  const dir = jobDirs(c.out).get(job.jobId) ?? '';
  t.equal(dirname(dir), c.out, 'the job directory is directly under the output path');
  t.match(basename(dir), new RegExp(`^jms_.+_${job.jobId}_${job.pid}_\\d{8}_\\d{6}$`));
  t.equal(fs.readFileSync(join(dir, `stdout_${job.jobId}`), 'utf8'), 'out\n', 'the job really ran there');

  const f = await infoFields(t, c, job.jobId);
  if (f === null) return;
  t.equal(f.get('JobID'), String(job.jobId));
  t.equal(f.get('Command'), 'echo out; exit 2');
  t.equal(f.get('Status'), 'Finished (failed, exit code 2)');
  t.equal(f.get('PID'), String(job.pid), 'PID is the real pid');
  t.match(f.get('Pool'), /^\d+$/, 'Pool is a pid');
  t.not(f.get('Pool'), String(job.pid), "the pool is not the job");
  t.equal(f.get('Directory'), dir, 'Directory is the real job directory');
  const window = windowSince(began);
  const times = (['Submitted', 'Started', 'Ended'] as const).map((k) => {
    const ms = localTime(f.get(k));
    t.ok(ms !== null && ms >= window[0] && ms <= window[1], `${k} is a local YYYY-MM-DD HH:MM:SS during the test: ${String(f.get(k))}`);
    return ms ?? NaN;
  });
  const [submittedAt = NaN, startedAt = NaN, endedAt = NaN] = times;
  t.ok(submittedAt <= startedAt && startedAt <= endedAt, 'Submitted <= Started <= Ended');
  t.equal(f.get('Exit'), 'code 2');
  t.equal(f.get('Timeout'), 'none');
  t.equal(f.get('Working directory'), fs.realpathSync(c.dir), "the submitting console's working directory");
  t.equal(f.get('Submitted by'), `${USER}@${HOST}, console pid ${job.consolePid}`);
});

t.test('info: every field, in order, for a running job', async (t) => {
  const began = Date.now();
  const c = await startCoord(t, { poolIdleMs: 60_000 });
  const job = await submitLaunched(t, c, ['--timeout', '1h30m', 'sleep', '30']);
  const dir = await waitFor('the job directory', () => jobDirs(c.out).get(job.jobId));

  const f = await infoFields(t, c, job.jobId);
  if (f === null) return;
  t.equal(f.get('JobID'), String(job.jobId));
  t.equal(f.get('Command'), 'sleep 30', 'the command without the submit options');
  t.match(f.get('Status'), /^Active \(running for \d+ seconds\)$/);
  t.equal(f.get('PID'), String(job.pid), 'PID is the pid submit printed');
  t.ok(isAlive(job.pid) && procStat(job.pid)?.pgrp === job.pid, 'a live process leading its own group: the real job');
  const rows = (await c.ok('show-pools')).split('\n').slice(1);
  const busy = rows.map((row) => /^\d+\. (\d+) (\d+)$/.exec(row)).filter((m) => m !== null && Number(m[2]) >= 1).map((m) => m?.[1]);
  t.ok(busy.includes(f.get('Pool')), `Pool (${String(f.get('Pool'))}) is a live pool running a job: ${rows.join(' | ')}`);
  t.equal(f.get('Directory'), dir, 'Directory is the real job directory');
  t.equal(dirname(dir), c.out);
  const window = windowSince(began);
  for (const k of ['Submitted', 'Started'] as const) {
    const ms = localTime(f.get(k));
    t.ok(ms !== null && ms >= window[0] && ms <= window[1], `${k} is a local YYYY-MM-DD HH:MM:SS during the test: ${String(f.get(k))}`);
  }
  t.equal(f.get('Ended'), '-', 'not ended: -');
  t.equal(f.get('Exit'), '-', 'no exit yet: -');
  t.equal(f.get('Timeout'), '1h30m');
  t.equal(f.get('Working directory'), fs.realpathSync(c.dir));
  t.equal(f.get('Submitted by'), `${USER}@${HOST}, console pid ${job.consolePid}`);
});

// --- 2. logs -----------------------------------------------------------------------

t.test('logs: all of stdout, the last lines, stderr, an unknown job', async (t) => {
  const c = await startCoord(t);
  const { jobId } = submitted(await c.ok('submit echo one; echo two; echo three; echo oops >&2'));
  await finished(c, jobId);
  const dir = jobDirs(c.out).get(jobId) ?? '';
  t.equal(fs.readFileSync(join(dir, `stdout_${jobId}`), 'utf8'), 'one\ntwo\nthree\n', 'what the job wrote');

  const [all, last2, err, unknown] = await Promise.all([
    jms(c, 'logs', String(jobId)),
    jms(c, 'logs', String(jobId), '-n', '2'),
    jms(c, 'logs', String(jobId), '--stderr'),
    jms(c, 'logs', '99'),
  ]);
  t.same([all.code, all.stdout, all.stderr], [0, 'one\ntwo\nthree\n', ''], 'logs N: the whole stdout');
  t.same([last2.code, last2.stdout, last2.stderr], [0, 'two\nthree\n', ''], 'logs N -n 2: the last two lines');
  t.same([err.code, err.stdout, err.stderr], [0, 'oops\n', ''], 'logs N --stderr: the stderr');
  t.equal(unknown.code, 1, 'logs of an unknown JobID exits 1');
  t.equal(unknown.stdout, '');
  t.match(unknown.stderr, /^jms_console: error: \S[^\n]*\n$/, 'one error line');
});

t.test('logs -f follows a running job and ends when it ends', async (t) => {
  const c = await startCoord(t);
  const gate = join(c.dir, 'go');
  const { jobId } = submitted(await c.ok(`submit echo first; ${gated(gate)}; echo second`));
  const follow = launch(t, c, ['logs', String(jobId), '-f'], { timeoutMs: 20_000 });

  await waitFor('the first line (or the console to end)', () => follow.out().includes('first\n') || follow.child.exitCode !== null);
  t.equal(follow.out(), 'first\n', 'the first line arrives while the job still runs');
  t.equal(follow.child.exitCode, null, 'the console keeps following');
  t.match(await c.ok(`status ${jobId}`), /Status: Active/, 'the job had not ended');

  fs.writeFileSync(gate, '');
  const r = await follow.done;
  t.same({ code: r.code, signal: r.signal }, { code: 0, signal: null }, 'it exits 0 by itself once the job ends');
  t.equal(r.stdout, 'first\nsecond\n', 'both lines, once');
  t.equal(r.stderr, '');
  t.equal(await c.ok(`status ${jobId}`), `JobID ${jobId} Status: Finished`, 'it ended after the job did');
});

// --- 3. --json ---------------------------------------------------------------------

t.test('--json: every answer is JSON, field by field', async (t) => {
  const began = Date.now();
  const c = await startCoord(t, { poolIdleMs: 60_000 });
  const cwd = fs.realpathSync(c.dir);

  // Set-up through the classic answers; the JSON is checked after.
  const ok = await submitLaunched(t, c, ['true']);
  const bad = await submitLaunched(t, c, ['echo hi; echo ho >&2; exit 3']);
  const runs = await submitLaunched(t, c, ['sleep', '30']);
  await finished(c, ok.jobId);
  await finished(c, bad.jobId);
  const dirs = jobDirs(c.out);

  t.test('status and info: the whole job document', async (t) => {
    const [s1, i1, i2, s3, i3] = await Promise.all([
      jms(c, '--json', 'status', String(ok.jobId)),
      jms(c, '--json', 'info', String(ok.jobId)),
      jms(c, '--json', 'info', String(bad.jobId)),
      jms(c, '--json', 'status', String(runs.jobId)),
      jms(c, '--json', 'info', String(runs.jobId)),
    ]);
    const base = { cwd, timeoutSec: null, began };
    const succeeded = {
      ...base, jobId: ok.jobId, command: 'true', status: 'finished', outcome: 'succeeded', exitCode: 0, signal: null,
      pid: ok.pid, dir: dirs.get(ok.jobId) ?? '', consolePid: ok.consolePid,
    } as const;
    const statusDoc = jsonAnswer(t, s1, 'status (succeeded)');
    const infoDoc = jsonAnswer(t, i1, 'info (succeeded)');
    checkJobDoc(t, statusDoc, succeeded, 'status (succeeded)');
    checkJobDoc(t, infoDoc, succeeded, 'info (succeeded)');
    if (statusDoc !== undefined && infoDoc !== undefined) t.same(statusDoc, infoDoc, 'status and info give the same document for a finished job');
    checkJobDoc(t, jsonAnswer(t, i2, 'info (failed)'), {
      ...base, jobId: bad.jobId, command: 'echo hi; echo ho >&2; exit 3', status: 'finished', outcome: 'failed',
      exitCode: 3, signal: null, pid: bad.pid, dir: dirs.get(bad.jobId) ?? '', consolePid: bad.consolePid,
    }, 'info (failed)');
    const active = {
      ...base, jobId: runs.jobId, command: 'sleep 30', status: 'active', outcome: null, exitCode: null, signal: null,
      pid: runs.pid, dir: dirs.get(runs.jobId) ?? '', consolePid: runs.consolePid,
    } as const;
    checkJobDoc(t, jsonAnswer(t, s3, 'status (active)'), active, 'status (active)');
    const poolPid = checkJobDoc(t, jsonAnswer(t, i3, 'info (active)'), active, 'info (active)');

    const pools = await jms(c, '--json', 'show-pools');
    t.equal(pools.code, 0, pools.stderr);
    const rows = jsonLines(t, pools.stdout, 'show-pools');
    t.ok(rows.length >= 1, 'show-pools: at least the pool running job 3');
    for (const row of rows) {
      t.same(Object.keys(row).sort(), ['jobs', 'pid'], `show-pools line ${JSON.stringify(row)}: {pid, jobs}`);
      t.ok(typeof row['pid'] === 'number' && typeof row['jobs'] === 'number', 'pid and jobs are numbers');
    }
    const mine = rows.find((row) => row['pid'] === poolPid);
    t.ok(mine !== undefined && typeof mine['jobs'] === 'number' && mine['jobs'] >= 1, `the pool of job ${runs.jobId} (${poolPid}) is listed with its running job`);
  });

  t.test('lists: one JSON per line', async (t) => {
    const [all, fin, act] = await Promise.all([
      jms(c, '--json', 'status-all'),
      jms(c, '--json', 'show-finished'),
      jms(c, '--json', 'show-active'),
    ]);
    for (const [r, what] of [[all, 'status-all'], [fin, 'show-finished'], [act, 'show-active']] as const) {
      t.equal(r.code, 0, `${what} exits 0 (${r.stderr.trim()})`);
      t.equal(r.stderr, '', `${what}: nothing on stderr`);
    }
    const brief = (row: Record<string, unknown> | undefined, jobId: number, status: string, outcome: string | null, what: string): void => {
      if (row === undefined) return void t.fail(`${what}: a line for JobID ${jobId}`);
      t.same(Object.keys(row).sort(), ['jobId', 'outcome', 'runningForSec', 'status'], `${what}: {jobId, status, runningForSec, outcome}`);
      t.equal(row['jobId'], jobId, `${what}: jobId`);
      t.equal(row['status'], status, `${what}: status`);
      t.equal(row['outcome'], outcome, `${what}: outcome`);
      const sec = row['runningForSec'];
      if (status === 'active') t.ok(typeof sec === 'number' && sec >= 0, `${what}: runningForSec is a number`);
      else t.ok(sec === null || typeof sec === 'number', `${what}: runningForSec is null or a number`);
    };
    const rows = jsonLines(t, all.stdout, 'status-all');
    t.equal(rows.length, 3, 'status-all: one line per job, no header');
    brief(rows[0], 1, 'finished', 'succeeded', 'status-all 1');
    brief(rows[1], 2, 'finished', 'failed', 'status-all 2');
    brief(rows[2], 3, 'active', null, 'status-all 3');
    const finRows = jsonLines(t, fin.stdout, 'show-finished');
    t.equal(finRows.length, 2, 'show-finished: no header, one line per finished job');
    brief(finRows[0], 1, 'finished', 'succeeded', 'show-finished 1');
    brief(finRows[1], 2, 'finished', 'failed', 'show-finished 2');
    const actRows = jsonLines(t, act.stdout, 'show-active');
    t.equal(actRows.length, 1, 'show-active: no header, one line');
    brief(actRows[0], 3, 'active', null, 'show-active');
  });

  t.test('suspend and resume', async (t) => {
    const s = jsonAnswer(t, await jms(c, '--json', 'suspend', String(runs.jobId)), 'suspend');
    t.same(s, { jobId: runs.jobId, action: 'suspend', removedFromQueue: false });
    const st = jsonAnswer(t, await jms(c, '--json', 'status', String(runs.jobId)), 'status (suspended)');
    t.equal(st?.['status'], 'suspended', 'the job is suspended');
    const r = jsonAnswer(t, await jms(c, '--json', 'resume', String(runs.jobId)), 'resume');
    t.same(r, { jobId: runs.jobId, action: 'resume', removedFromQueue: false });
    t.match(await c.ok(`status ${runs.jobId}`), /Status: Active/);
  });

  t.test('logs: one {jobId, stream, line, newline} per line', async (t) => {
    const [out, err] = await Promise.all([
      jms(c, '--json', 'logs', String(bad.jobId)),
      jms(c, '--json', 'logs', String(bad.jobId), '--stderr'),
    ]);
    t.equal(out.code, 0, out.stderr);
    t.same(jsonLines(t, out.stdout, 'logs'), [{ jobId: bad.jobId, stream: 'stdout', line: 'hi', newline: true }]);
    t.equal(err.code, 0, err.stderr);
    t.same(jsonLines(t, err.stdout, 'logs --stderr'), [{ jobId: bad.jobId, stream: 'stderr', line: 'ho', newline: true }]);
  });

  t.test('submit', async (t) => {
    const r = await jms(c, '--json', 'submit', 'true');
    const doc = jsonAnswer(t, r, 'submit');
    if (doc === undefined) return;
    t.same(Object.keys(doc).sort(), ['jobId', 'pid', 'status'], '{jobId, status, pid}');
    t.equal(doc['jobId'], 4);
    t.equal(doc['status'], 'active');
    t.ok(typeof doc['pid'] === 'number' && doc['pid'] > 1, `pid is a number: ${String(doc['pid'])}`);
    const dir = await waitFor('job 4 to have a directory', () => jobDirs(c.out).get(4));
    t.match(basename(dir), new RegExp(`_4_${String(doc['pid'])}_`), "the pid is the job's");
  });

  t.test('errors: {"error":{"code","message"}} on stderr, exit 1', async (t) => {
    const [status, info, finishedSuspend, notAnId] = await Promise.all([
      jms(c, '--json', 'status', '99'),
      jms(c, '--json', 'info', '99'),
      jms(c, '--json', 'suspend', String(ok.jobId)),
      jms(c, '--json', 'status', 'x'),
    ]);
    jsonError(t, status, 'status of an unknown job', 'E_UNKNOWN_JOB');
    jsonError(t, info, 'info of an unknown job', 'E_UNKNOWN_JOB');
    jsonError(t, finishedSuspend, 'suspend of a finished job', /^E_[A-Z_]+$/);
    jsonError(t, notAnId, "status of 'x'", /^E_[A-Z_]+$/);
  });
});

// --- 4. -q ---------------------------------------------------------------------------

t.test('-q: submit prints only the JobID, other commands nothing', async (t) => {
  const c = await startCoord(t, { poolIdleMs: 60_000 });
  const r = await jms(c, '-q', 'submit', 'true');
  t.same([r.code, r.stderr], [0, ''], 'submit -q succeeds');
  t.match(r.stdout, /^\d+\n$/, 'just digits and a newline');

  const base = `${shq(process.execPath)} ${shq(CONSOLE)} -w ${shq(c.jmsIn)} -r ${shq(c.jmsOut)}`;
  const sh = await run('/bin/sh', ['-c', `id=$(${base} -q submit true) || exit 9; printf '<%s>\\n' "$id"; ${base} status "$id"`], { cwd: c.dir });
  t.equal(sh.code, 0, sh.stderr);
  const m = /^<(\d+)>\n(JobID (\d+) Status: [^\n]+)\n$/.exec(sh.stdout);
  t.ok(m !== null, `id=$(jms_console -q submit true) holds the JobID: ${JSON.stringify(sh.stdout)}`);
  if (m !== null) t.same([m[1], m[3]], ['2', '2'], 'JobID 2, and status "$id" names it');

  const long = await jms(c, '--quiet', 'submit', 'sleep', '30');
  t.same([long.code, long.stderr], [0, ''], '--quiet submit succeeds');
  t.equal(long.stdout, '3\n', '--quiet is -q');

  const suspend = await jms(c, '-q', 'suspend', '3');
  t.same([suspend.code, suspend.stdout, suspend.stderr], [0, '', ''], '-q suspend: nothing');
  t.equal((await jms(c, 'status', '3')).stdout, 'JobID 3 Status: Suspended\n', 'and it did suspend');
  const status = await jms(c, '-q', 'status', '3');
  t.same([status.code, status.stdout, status.stderr], [0, '', ''], '-q status: nothing');
  const resume = await jms(c, '-q', 'resume', '3');
  t.same([resume.code, resume.stdout, resume.stderr], [0, '', ''], '-q resume: nothing');
  t.match((await jms(c, 'status', '3')).stdout, /^JobID 3 Status: Active/, 'and it did resume');

  const failed = await jms(c, '-q', 'status', '99');
  t.equal(failed.code, 1, '-q does not hide a failure');
  t.equal(failed.stdout, '');
  t.match(failed.stderr, /^jms_console: error: /, 'the error still goes to stderr');
});

// --- 5. exit codes -------------------------------------------------------------------

t.test('one-shot exit codes: 0, 1, 2, 3', async (t) => {
  const c = await startCoord(t);
  const [good, unknown, unknownInfo, usage] = await Promise.all([
    jms(c, 'show-pools'),
    jms(c, 'status', '99'),
    jms(c, 'info', '99'),
    jms(c, '--no-such-flag', 'status', '1'),
  ]);
  t.same([good.code, good.stderr], [0, ''], '0 on success');
  t.equal(good.stdout, 'Pool & NumOfJobs:\n');
  for (const [r, what] of [[unknown, 'status'], [unknownInfo, 'info']] as const) {
    t.equal(r.code, 1, `${what} of an unknown JobID: 1`);
    t.equal(r.stdout, '', `${what}: nothing on stdout`);
    t.match(r.stderr, /^jms_console: error: \S[^\n]*\n$/, `${what}: one error line on stderr`);
  }
  t.equal(usage.code, 2, 'an unknown flag: 2');
  t.equal(usage.stdout, '');
  t.match(usage.stderr, /--no-such-flag/, 'the error names the flag');

  const dir = t.testdir({});
  const none = await run(process.execPath, [CONSOLE, '-w', join(dir, 'jms_in'), '-r', join(dir, 'jms_out'), 'status', '1'], { cwd: dir, timeoutMs: 10_000 });
  t.equal(none.code, 3, 'no coordinator (jms_in missing): 3');
  t.equal(none.stdout, '');
  t.match(none.stderr, /\S/, 'says why on stderr');
});

// --- 6. the console's directory and environment ----------------------------------------

t.test("a job runs in the console's working directory with the console's environment", async (t) => {
  t.not(process.env['FOO'], 'bar', 'precondition: FOO=bar is not inherited from the test runner');
  const c = await startCoord(t);
  const work = fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), 'jms-cwd-')));
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
  t.not(work, fs.realpathSync(c.dir), "not the coordinator's directory");

  const job = await submitLaunched(t, c, ['pwd; echo $FOO'], { cwd: work, env: { FOO: 'bar', PWD: work } });
  await finished(c, job.jobId);
  const dir = jobDirs(c.out).get(job.jobId) ?? '';
  t.equal(dirname(dir), c.out, 'its directory is still under the output path');
  t.equal(fs.readFileSync(join(dir, `stdout_${job.jobId}`), 'utf8'), `${work}\nbar\n`, "pwd is the console's directory, $FOO the console's");
  t.same(fs.readdirSync(work), [], 'nothing was written into the working directory');

  const info = await jms(c, 'info', String(job.jobId));
  t.equal(info.code, 0, info.stderr);
  t.equal(new Map(fieldsOf(info.stdout)).get('Working directory'), work, 'info shows that working directory');
  const doc = jsonAnswer(t, await jms(c, '--json', 'info', String(job.jobId)), 'info --json');
  t.equal(doc?.['cwd'], work, 'and so does cwd in --json');
});

t.test('the environment crosses each pipe once, then by its key', async (t) => {
  const c = await startCoord(t, { jobsPool: 50 });
  const work = fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), 'jms-env-')));
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
  // Three submits on one connection, all to the same pool: the first carries the
  // environment, the next two its key; every job must still see FOO.
  const ops = join(work, 'ops');
  fs.writeFileSync(ops, 'submit echo 1 $FOO\nsubmit echo 2 $FOO\nsubmit echo 3 $FOO\n');
  const l = launch(t, c, ['-o', ops], { cwd: work, env: { FOO: 'baz', PWD: work } });
  const r = await l.done;
  t.equal(r.code, 0, r.stderr);
  for (const id of [1, 2, 3]) {
    await finished(c, id);
    t.equal(fs.readFileSync(join(jobDirs(c.out).get(id) ?? '', `stdout_${id}`), 'utf8'), `${id} baz\n`, `job ${id} has the console's environment`);
  }
  const pools = new Set(await Promise.all([1, 2, 3].map(async (id) => {
    const doc = jsonAnswer(t, await jms(c, '--json', 'info', String(id)), `info ${id}`);
    return doc?.['poolPid'];
  })));
  t.equal(pools.size, 1, 'one pool ran all three (it got the environment once)');

  // A key nobody sent is refused, and nothing is queued for it.
  const raw = await connectRaw(c.jmsIn, c.jmsOut);
  t.teardown(() => raw.close());
  await raw.request({ kind: 'submit', id: 1, command: 'true', envKey: 'no-such-key' });
  const [reply] = await waitFor('an answer to the unknown key', () => (raw.repliesTo(1).length > 0 ? raw.repliesTo(1) : false));
  t.match(reply, { kind: 'error', code: 'E_BAD_REQUEST', message: /environment 'no-such-key' is unknown/ });
  t.equal((await jms(c, 'status-all')).stdout.split('\n').filter((x) => x !== '').length, 3, 'no job was made for it');
});

// --- 7. show-finished --long ---------------------------------------------------------

t.test('show-finished --long: succeeded, failed with its code, killed by a signal', async (t) => {
  const began = Date.now();
  const c = await startCoord(t);
  const ok = submitted(await c.ok('submit true'));
  await finished(c, ok.jobId);
  const bad = submitted(await c.ok('submit exit 3'));
  await finished(c, bad.jobId);
  const sleeper = submitted(await c.ok('submit sleep 30'));
  process.kill(-sleeper.pid, 'SIGKILL');
  await finished(c, sleeper.jobId);

  const [short, long, json, info] = await Promise.all([
    jms(c, 'show-finished'),
    jms(c, 'show-finished', '--long'),
    jms(c, '--json', 'show-finished', '--long'),
    jms(c, 'info', String(sleeper.jobId)),
  ]);
  t.same([short.code, short.stdout], [0, 'Finished jobs:\n1. JobID 1\n2. JobID 2\n3. JobID 3\n'], 'without --long: unchanged');
  t.equal(long.code, 0, long.stderr);
  t.equal(long.stderr, '');
  t.equal(
    long.stdout,
    'Finished jobs:\n1. JobID 1 succeeded (exit code 0)\n2. JobID 2 failed (exit code 3)\n3. JobID 3 killed (SIGKILL)\n',
    'each job with how it ended',
  );

  t.equal(json.code, 0, json.stderr);
  const docs = jsonLines(t, json.stdout, 'show-finished --long --json');
  t.equal(docs.length, 3, 'one job document per line, no header');
  const dirs = jobDirs(c.out);
  const expect = [
    { jobId: 1, command: 'true', outcome: 'succeeded', exitCode: 0, signal: null, pid: ok.pid },
    { jobId: 2, command: 'exit 3', outcome: 'failed', exitCode: 3, signal: null, pid: bad.pid },
    { jobId: 3, command: 'sleep 30', outcome: 'killed', exitCode: null, signal: 'SIGKILL', pid: sleeper.pid },
  ] as const;
  expect.forEach((e, i) =>
    checkJobDoc(t, docs[i], { ...e, status: 'finished', dir: dirs.get(e.jobId) ?? '', cwd: fs.realpathSync(c.dir), timeoutSec: null, began }, `--long --json line ${i + 1}`),
  );

  t.equal(info.code, 0, info.stderr);
  t.equal(new Map(fieldsOf(info.stdout)).get('Exit'), 'signal SIGKILL', 'info: Exit: signal SIGKILL');
});

// --- 8. help -------------------------------------------------------------------------

/** Every command of the reference. */
const REFERENCE_COMMANDS = [
  'submit', 'status', 'status-all', 'show-active', 'show-pools', 'show-finished', 'show-queued', 'suspend', 'resume',
  'kill', 'info', 'logs', 'wait', 'pause-all', 'resume-all', 'shutdown', 'show-coordinator', 'help', 'exit', 'quit',
];

t.test('help: every command has a usage and an example, and is in the README', async (t) => {
  const c = await startCoord(t);
  const r = await jms(c, 'help');
  t.equal(r.code, 0, r.stderr);
  // Command lines are indented, the command's name first.
  const names = r.stdout
    .split('\n')
    .map((line) => /^  ([a-z][a-z-]*)(?=\s|$)/.exec(line)?.[1])
    .filter((n): n is string => n !== undefined);
  t.ok(names.length >= 9, `help lists the commands: ${names.join(', ')}`);
  t.same([...new Set(names)], names, 'each once');

  t.test('help lists every command of the reference', async (t) => {
    for (const name of REFERENCE_COMMANDS) t.ok(names.includes(name), `help lists ${name}`);
  });

  const usages = new Map<string, string>();
  const examples = new Map<string, string>();
  t.test('help <command>: a usage line and an example line', async (t) => {
    // A few consoles at a time: two cores, Node start-up is most of each run.
    for (let i = 0; i < names.length; i += 4) {
      const batch = names.slice(i, i + 4);
      const answers = await Promise.all(batch.map((name) => jms(c, 'help', name)));
      batch.forEach((name, j) => {
        const a = answers[j];
        t.equal(a?.code, 0, `help ${name} exits 0`);
        t.match(a?.stdout, new RegExp(`^usage: ${name}(\\s|$)`, 'm'), `help ${name}: a line starting 'usage: ${name}'`);
        t.match(a?.stdout, /^example: \S/m, `help ${name}: a line starting 'example:'`);
        const usage = /^usage: (.*)$/m.exec(a?.stdout ?? '')?.[1];
        const example = /^example: (.*)$/m.exec(a?.stdout ?? '')?.[1];
        if (usage !== undefined) usages.set(name, usage);
        if (example !== undefined) examples.set(name, example);
      });
    }
  });

  t.test('README.md names every command in backticks', async (t) => {
    const readme = fs.readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const name of names) {
      t.match(readme, new RegExp(`\`${name}[\` ]`), `README.md has \`${name}\` (alone or starting a code span)`);
    }
  });

  t.test("README.md has help's usage and example of every command, word for word", async (t) => {
    // A '|' inside a table cell is written '\|' in Markdown.
    const readme = fs.readFileSync(join(ROOT, 'README.md'), 'utf8').replaceAll('\\|', '|');
    const exampleLines = new Set(readme.split('\n').filter((l) => l.startsWith('jms> ')).map((l) => l.slice(5)));
    for (const name of names.filter((n) => n !== 'quit')) {
      const usage = usages.get(name) ?? '(none)';
      t.ok(readme.includes(`\`${usage}\``), `README.md shows \`${usage}\``);
      const example = examples.get(name) ?? '(none)';
      t.ok(exampleLines.has(example), `README.md has the example 'jms> ${example}'`);
    }
  });
});
