// The console's commands: name, usage, one-line summary, example, and how the rest of
// the line becomes a request. `submit` keeps the rest of the line verbatim: the job's
// own quoting, pipes and spacing go to /bin/sh untouched.

import { MAX_COMMAND_BYTES, type Request } from '../protocol/messages.js';
import { MAX_DURATION_SEC, MAX_WAIT_IDS } from '../protocol/parse.js';
import type { DistributiveOmit } from './connection.js';
import { DURATION_HELP, formatDuration, parseDuration } from '../protocol/duration.js';
import { BATCH_COMMANDS, type BatchParsed } from './batch-commands.js';
import { EXTRA_VALUE, extraOption, isExtraOption, type SubmitExtras } from './submit-extras.js';

export type RequestBody = DistributiveOmit<Request, 'id'>;

/** `logs`: the console reads the job's files itself (their path comes from `info`). */
export interface LogsAction {
  kind: 'logs';
  jobId: number;
  stream: 'stdout' | 'stderr';
  /** The last this many lines; null: all. */
  lines: number | null;
  follow: boolean;
}

/** An error; `lines`: the mistakes it sums up, each shown on its own line before it. */
export type ParseError = { error: string; lines?: string[] };

export type Parsed = RequestBody | LogsAction | BatchParsed | ParseError;

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  example: string;
  /** Arguments are job ids (for completion). */
  takesJobId: boolean;
  /** Its first argument is a batch (for completion). */
  takesBatch?: boolean;
  parse(rest: string): Parsed;
}

function words(rest: string): string[] {
  return rest.split(/\s+/).filter((w) => w !== '');
}

function jobIdArg(name: string, rest: string): number | { error: string } {
  const args = words(rest);
  if (args.length === 0) return { error: `${name} needs a JobID; for example '${name} 3'.` };
  if (args.length > 1) return { error: `${name} takes one JobID, not ${args.length} words; for example '${name} 3'.` };
  return jobId(args[0] ?? '');
}

function jobId(arg: string): number | { error: string } {
  if (!/^\d+$/.test(arg) || Number(arg) < 1 || !Number.isSafeInteger(Number(arg))) {
    return { error: `'${shortArg(arg)}' is not a JobID; JobIDs are whole numbers from 1, as submit prints them.` };
  }
  return Number(arg);
}

function shortArg(arg: string): string {
  return arg.length > 40 ? `${arg.slice(0, 40)}…` : arg;
}

let ownEnv: Record<string, string> | null = null;

/**
 * The environment a job gets: the console's own, copied once per process (a console
 * never changes it), so every submit carries the same object and its key is computed
 * once (protocol/env-key.ts).
 */
function consoleEnv(): Record<string, string> {
  if (ownEnv !== null) return ownEnv;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  ownEnv = Object.freeze(env);
  return ownEnv;
}

function consoleCwd(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined; // its directory was removed: the job runs in the coordinator's
  }
}

/** What submit's options set, before the job. */
interface SubmitOptions extends SubmitExtras {
  timeoutSec?: number;
  needs: string[];
  setEnv: Record<string, string>;
}

const NEED = /^!?[A-Za-z0-9_.-]{1,64}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SUBMIT_OPTIONS = '--timeout, --needs, --env, --export, --after, --retries, --priority, --begin and --on-exit';
const OPTION_VALUE: Record<string, string> = {
  '--timeout': "--timeout needs a duration; for example 'submit --timeout 2h make'.",
  '--needs': "--needs needs tags separated by commas; for example 'submit --needs gpu,openfoam make'.",
  '--env': "--env needs NAME=value; for example 'submit --env MODE=fast make'.",
  '--export': "--export needs the name of a variable of this console; for example 'submit --export PATH make'.",
};

/** A duration typed for `flag`, checked against the most the coordinator takes. */
function durationArg(flag: string, text: string): number | { error: string } {
  const sec = parseDuration(text);
  if (sec === null) return { error: `'${shortArg(text)}' is not a duration; give ${flag} ${DURATION_HELP}.` };
  if (sec > MAX_DURATION_SEC) return { error: `${flag} is at most ${formatDuration(MAX_DURATION_SEC)}, not '${shortArg(text)}'; give a shorter duration.` };
  return sec;
}

/** Applies one option and its value; an error sentence, or null. */
function submitOption(name: string, value: string, o: SubmitOptions): string | null {
  switch (name) {
    case '--timeout': {
      const sec = durationArg('--timeout', value);
      if (typeof sec !== 'number') return sec.error;
      o.timeoutSec = sec;
      return null;
    }
    case '--needs': {
      const tags = value.split(',').filter((x) => x !== '');
      const bad = tags.find((x) => !NEED.test(x));
      if (tags.length === 0 || bad !== undefined) return `'${shortArg(bad ?? value)}' is not a tag; give --needs tags separated by commas (letters, digits, _ . -; '!tag' for one a host must not have).`;
      o.needs.push(...tags);
      return null;
    }
    case '--env': {
      const eq = value.indexOf('=');
      if (eq <= 0 || !ENV_NAME.test(value.slice(0, eq))) return `'${shortArg(value)}' is not NAME=value; give --env a variable, e.g. '--env MODE=fast'.`;
      o.setEnv[value.slice(0, eq)] = value.slice(eq + 1);
      return null;
    }
    case '--export': {
      const v = process.env[value];
      if (!ENV_NAME.test(value)) return `'${shortArg(value)}' is not a variable name; give --export the name of a variable of this console.`;
      if (v === undefined) return `this console has no variable ${value} to export; set it first, or give it with '--env ${value}=<value>'.`;
      o.setEnv[value] = v;
      return null;
    }
    default:
      return isExtraOption(name) ? extraOption(name, value, o) : null;
  }
}

const OPTION_NAMES = '--timeout|--needs|--env|--export|--after|--retries|--priority|--begin|--on-exit';
/** An option and its value: one word, or '…' / "…" (the quotes are taken off). */
const WITH_VALUE = new RegExp(`^(${OPTION_NAMES})(?:=|\\s+)('[^']*'|"[^"]*"|\\S+)(?:\\s+|$)`);
const WITHOUT_VALUE = new RegExp(`^(${OPTION_NAMES})(=?$|=\\s)`);

function unquote(value: string): string {
  return value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.endsWith(value[0]) ? value.slice(1, -1) : value;
}

function optionValueError(name: string): string {
  return OPTION_VALUE[name] ?? (isExtraOption(name) ? EXTRA_VALUE[name] : '');
}

/**
 * submit [--timeout <duration>] [--needs <tags>] [--env K=V] [--export NAME] [--after <ids>]
 * [--retries N] [--priority N] [--begin <time>] [--on-exit <command>] [--] <job>:
 * options only before the job; the job starts at the first word that is not one, or
 * after `--`, and is kept verbatim from there. A job cannot begin with '-' (no command
 * does): such a word is a misplaced option. A value with spaces is quoted: '…' or "…".
 */
function parseSubmit(rest: string): Parsed {
  let text = rest.trim();
  const o: SubmitOptions = { needs: [], setEnv: {} };
  let options = '';
  for (;;) {
    const opt = WITH_VALUE.exec(text);
    if (opt !== null) {
      const [whole, name = '', quoted = ''] = opt;
      const value = unquote(quoted);
      if (/^['"]/.test(quoted) && value === quoted) return { error: `the value of ${name} opens a quote (${quoted[0] ?? ''}) that the line does not close; close it, e.g. '${name} "a b"'.` };
      const error = submitOption(name, value, o);
      if (error !== null) return { error };
      options += `${name} ${quoted} `;
      text = text.slice(whole.length);
      continue;
    }
    const bare = WITHOUT_VALUE.exec(text);
    if (bare !== null) return { error: optionValueError(bare[1] ?? '--timeout') };
    const dashes = /^--(?:\s+|$)/.exec(text);
    if (dashes !== null) {
      text = text.slice(dashes[0].length);
      break;
    }
    const unknown = /^-\S*/.exec(text);
    if (unknown !== null) {
      const dashes = unknown[0].startsWith('--') ? '--' : '-';
      return { error: `submit has no option '${shortArg(unknown[0])}' (it has ${SUBMIT_OPTIONS}); to run a job that starts with '${dashes}', write 'submit ${options}-- ${shortArg(text)}'.` };
    }
    break;
  }
  const command = text.trim();
  if (command === '') return { error: "submit needs a job to run; for example 'submit sleep 10'." };
  if (Buffer.byteLength(command) > MAX_COMMAND_BYTES) {
    return { error: `the job is ${Buffer.byteLength(command)} bytes long, more than the ${MAX_COMMAND_BYTES} a job may have; put it in a script and submit that.` };
  }
  const body: RequestBody = { kind: 'submit', command, env: consoleEnv() };
  const cwd = consoleCwd();
  if (cwd !== undefined) body.cwd = cwd;
  if (o.timeoutSec !== undefined) body.timeoutSec = o.timeoutSec;
  if (o.needs.length > 0) body.needs = [...new Set(o.needs)];
  if (Object.keys(o.setEnv).length > 0) body.setEnv = o.setEnv;
  return withExtras(body, o);
}

function withExtras(body: Extract<RequestBody, { kind: 'submit' }>, o: SubmitExtras): RequestBody {
  if (o.after !== undefined) body.after = o.after;
  if (o.retries !== undefined) body.retries = o.retries;
  if (o.priority !== undefined) body.priority = o.priority;
  if (o.begin !== undefined) body.begin = o.begin;
  if (o.onExit !== undefined) body.onExit = o.onExit;
  return body;
}

function parseLogs(rest: string): Parsed {
  const args = words(rest);
  let id: number | null = null;
  const action: LogsAction = { kind: 'logs', jobId: 0, stream: 'stdout', lines: null, follow: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--stderr') action.stream = 'stderr';
    else if (a === '-f' || a === '--follow') action.follow = true;
    else if (a === '-n' || a.startsWith('-n')) {
      const n = a === '-n' ? args[++i] : a.slice(2);
      if (n === undefined || !/^\d+$/.test(n) || !Number.isSafeInteger(Number(n))) {
        return { error: `-n takes a number of lines; for example 'logs ${id ?? 3} -n 20'.` };
      }
      action.lines = Number(n);
    } else if (a.startsWith('-')) {
      return { error: `logs has no option '${shortArg(a)}' (it has --stderr, -n and -f); for example 'logs ${id ?? 3} -n 20 -f'.` };
    } else {
      if (id !== null) return { error: `logs takes one JobID; for example 'logs ${id}'.` };
      const parsed = jobId(a);
      if (typeof parsed !== 'number') return parsed;
      id = parsed;
    }
  }
  if (id === null) return { error: "logs needs a JobID; for example 'logs 3' or 'logs 3 -f'." };
  action.jobId = id;
  return action;
}

function parseWait(rest: string): Parsed {
  const args = words(rest);
  if (args.length === 1 && args[0] === '--all') return { kind: 'wait', jobIds: 'all' };
  if (args.length === 0) return { error: "wait needs JobIDs or --all; for example 'wait 3 4' or 'wait --all'." };
  const ids = new Set<number>();
  for (const a of args) {
    if (a === '--all') return { error: "wait takes either JobIDs or --all, not both; for example 'wait --all'." };
    const parsed = jobId(a);
    if (typeof parsed !== 'number') return parsed;
    ids.add(parsed);
  }
  if (ids.size > MAX_WAIT_IDS) return { error: `wait takes at most ${MAX_WAIT_IDS} JobIDs, not ${ids.size}; wait for them in parts, or 'wait --all'.` };
  // Each job is waited for, and shown, once: `wait 2 2` is `wait 2`.
  return { kind: 'wait', jobIds: [...ids] };
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** `--host <name>` and `--for <duration>` (pause-all) in any order; an error, or what they set. */
function pauseOptions(name: 'pause-all' | 'resume-all', rest: string): { host?: string; forSec?: number } | { error: string } {
  // `--for=10m` is `--for 10m`.
  const args = words(rest).flatMap((w) => (/^--(for|host)=/.test(w) ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w]));
  const out: { host?: string; forSec?: number } = {};
  const takes = name === 'pause-all' ? 'pause-all takes nothing, or --for and a duration, and --host and a host' : 'resume-all takes nothing, or --host and a host';
  const example = name === 'pause-all' ? "for example 'pause-all --for 1h30m' or 'pause-all --host h1'" : "for example 'resume-all --host h1'";
  for (let i = 0; i < args.length; i += 2) {
    const [flag = '', value] = [args[i], args[i + 1]];
    if (value === undefined || value === '' || !(flag === '--host' || (flag === '--for' && name === 'pause-all'))) {
      return { error: `${takes}, not '${shortArg(rest.trim())}'; ${example}.` };
    }
    if (flag === '--host') {
      if (!HOST_NAME.test(value)) return { error: `'${shortArg(value)}' is not a host name; 'show-hosts' lists the hosts.` };
      out.host = value;
    } else {
      const sec = durationArg('--for', value);
      if (typeof sec !== 'number') return sec;
      out.forSec = sec;
    }
  }
  return out;
}

function parsePauseAll(rest: string): Parsed {
  const o = pauseOptions('pause-all', rest);
  if ('error' in o) return o;
  return { kind: 'pause-all', forSec: o.forSec ?? null, ...(o.host === undefined ? {} : { host: o.host }) };
}

function parseResumeAll(rest: string): Parsed {
  const o = pauseOptions('resume-all', rest);
  if ('error' in o) return o;
  return o.host === undefined ? { kind: 'resume-all' } : { kind: 'resume-all', host: o.host };
}

function withHost(name: 'host-off' | 'host-on') {
  return (rest: string): Parsed => {
    const args = words(rest);
    const [host = ''] = args;
    if (args.length !== 1 || !HOST_NAME.test(host)) return { error: `${name} takes the name of one host; for example '${name} h1' ('show-hosts' lists them).` };
    return { kind: name, host };
  };
}

function flagOnly<K extends 'shutdown' | 'show-finished' | 'show-pools'>(name: K, flag: string, make: (on: boolean) => RequestBody) {
  return (rest: string): Parsed => {
    const args = words(rest);
    if (args.length === 0) return make(false);
    if (args.length === 1 && args[0] === flag) return make(true);
    return { error: `${name} takes nothing or ${flag}, not '${shortArg(rest.trim())}'; for example '${name} ${flag}'.` };
  };
}

function noArgs(name: string, rest: string, body: RequestBody): RequestBody | { error: string } {
  return words(rest).length === 0 ? body : { error: `${name} takes no arguments; type just '${name}'.` };
}

function withJobId(name: 'status' | 'info' | 'suspend' | 'resume' | 'kill') {
  return (rest: string): RequestBody | { error: string } => {
    const jobId = jobIdArg(name, rest);
    return typeof jobId === 'number' ? { kind: name, jobId } : jobId;
  };
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'submit', usage: 'submit [<options>] [--] <job>',
    summary: "run a job (a /bin/sh command line) in the console's directory and environment; options: --timeout <duration>, --needs <tags> (only on a host with those tags), --env NAME=value, --export NAME, --after <JobIDs> (only once they have succeeded), --retries N (run again if it fails), --priority N (higher first, -1000 to 1000), --begin <time> (22:00, +2h, 2026-12-24T22:00), --on-exit <command> (run on this machine when it ends); a value with spaces in '…' or \"…\"",
    example: 'submit --timeout 2h make -C sim > build.log', takesJobId: false, parse: parseSubmit,
  },
  {
    name: 'status', usage: 'status <JobID>', summary: 'the state of one job', example: 'status 3',
    takesJobId: true, parse: withJobId('status'),
  },
  {
    name: 'status-all', usage: 'status-all [seconds]',
    summary: 'the state of every job; with seconds, only jobs submitted that recently',
    example: 'status-all 60', takesJobId: false,
    parse(rest) {
      const args = words(rest);
      if (args.length === 0) return { kind: 'status-all', sinceSec: null };
      const [arg = ''] = args;
      if (args.length > 1 || !/^\d+$/.test(arg) || !Number.isSafeInteger(Number(arg))) {
        return { error: `status-all takes one duration in whole seconds, not '${shortArg(rest.trim())}'; for example 'status-all 60'.` };
      }
      return { kind: 'status-all', sinceSec: Number(arg) };
    },
  },
  {
    name: 'info', usage: 'info <JobID>',
    summary: 'everything known about a job: command, state, pid, pool, directory, times, exit, timeout, origin',
    example: 'info 3', takesJobId: true, parse: withJobId('info'),
  },
  {
    name: 'logs', usage: 'logs <JobID> [--stderr] [-n <lines>] [-f]',
    summary: "a job's output (stdout, or stderr); -n the last lines; -f follow it until the job ends",
    example: 'logs 3 -n 20 -f', takesJobId: true, parse: parseLogs,
  },
  {
    name: 'wait', usage: 'wait <JobID>… | wait --all',
    summary: 'return when the jobs have ended; fails (exit status 1) unless all succeeded',
    example: 'wait 3 4', takesJobId: true, parse: parseWait,
  },
  {
    name: 'show-active', usage: 'show-active', summary: 'the jobs running now', example: 'show-active',
    takesJobId: false, parse: (rest) => noArgs('show-active', rest, { kind: 'show-active' }),
  },
  {
    name: 'show-pools', usage: 'show-pools [--long]',
    summary: "each live pool's pid and how many of its jobs run now; --long also shows the jobs each took and the spare pool",
    example: 'show-pools --long', takesJobId: false,
    parse: flagOnly('show-pools', '--long', (long) => (long ? { kind: 'show-pools', long } : { kind: 'show-pools' })),
  },
  {
    name: 'show-finished', usage: 'show-finished [--long]',
    summary: 'the jobs that have finished; --long says how each ended', example: 'show-finished --long',
    takesJobId: false, parse: flagOnly('show-finished', '--long', (long) => ({ kind: 'show-finished', long })),
  },
  {
    name: 'show-queued', usage: 'show-queued', summary: 'the jobs waiting for room, in the order they will start',
    example: 'show-queued', takesJobId: false, parse: (rest) => noArgs('show-queued', rest, { kind: 'show-queued' }),
  },
  {
    name: 'suspend', usage: 'suspend <JobID>', summary: "stop a running job and its children (SIGSTOP)",
    example: 'suspend 3', takesJobId: true, parse: withJobId('suspend'),
  },
  {
    name: 'resume', usage: 'resume <JobID>', summary: 'continue a suspended job (SIGCONT)', example: 'resume 3',
    takesJobId: true, parse: withJobId('resume'),
  },
  {
    name: 'kill', usage: 'kill <JobID>',
    summary: 'end a job: SIGTERM to its processes, SIGKILL after the grace; a queued job leaves the queue',
    example: 'kill 3', takesJobId: true, parse: withJobId('kill'),
  },
  {
    name: 'pause-all', usage: 'pause-all [--for <duration>] [--host <name>]',
    summary: 'hold every running job and start none (--host: on that host only); with --for, it all resumes by itself',
    example: 'pause-all --for 1h30m', takesJobId: false, parse: parsePauseAll,
  },
  {
    name: 'resume-all', usage: 'resume-all [--host <name>]', summary: 'end pause-all: continue the jobs it held, start jobs again',
    example: 'resume-all', takesJobId: false, parse: parseResumeAll,
  },
  {
    name: 'show-hosts', usage: 'show-hosts', summary: 'the hosts: state, tags, slots in use, pools',
    example: 'show-hosts', takesJobId: false, parse: (rest) => noArgs('show-hosts', rest, { kind: 'show-hosts' }),
  },
  {
    name: 'host-off', usage: 'host-off <host>', summary: 'start no new job on a host; its running jobs finish',
    example: 'host-off h1', takesJobId: false, parse: withHost('host-off'),
  },
  {
    name: 'host-on', usage: 'host-on <host>', summary: 'let jobs start on a host again', example: 'host-on h1',
    takesJobId: false, parse: withHost('host-on'),
  },
  {
    name: 'shutdown', usage: 'shutdown [--drain]',
    summary: 'stop the coordinator (jobs get SIGTERM) and answer with a summary; --drain lets running jobs finish first',
    example: 'shutdown --drain', takesJobId: false,
    parse: flagOnly('shutdown', '--drain', (drain) => ({ kind: 'shutdown', drain })),
  },
  ...BATCH_COMMANDS,
];

/** Commands the console answers itself. */
export const LOCAL_COMMANDS = [
  {
    name: 'show-coordinator', usage: 'show-coordinator',
    summary: "the coordinator this console talks to: its pid, settings, output directory and FIFOs", example: 'show-coordinator',
  },
  { name: 'help', usage: 'help [command]', summary: 'list the commands, or explain one', example: 'help submit' },
  { name: 'exit', usage: 'exit', summary: 'leave the console (the coordinator keeps running)', example: 'exit' },
  { name: 'quit', usage: 'quit', summary: 'the same as exit', example: 'quit' },
] as const;

export const ALL_NAMES: readonly string[] = [...COMMANDS.map((c) => c.name), ...LOCAL_COMMANDS.map((c) => c.name)];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The known command nearest to a mistyped one, if any is near enough. */
export function suggest(typed: string): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of ALL_NAMES) {
    const d = name.startsWith(typed) && typed.length >= 3 ? 0 : distance(typed, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(typed.length / 3)) ? best : null;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
