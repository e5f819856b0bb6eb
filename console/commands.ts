// The console's commands: name, usage, one-line summary, example, and how the rest of
// the line becomes a request. `submit` keeps the rest of the line verbatim: the job's
// own quoting, pipes and spacing go to /bin/sh untouched.

import { MAX_COMMAND_BYTES, type Request } from '../protocol/messages.js';
import type { DistributiveOmit } from './connection.js';

export type RequestBody = DistributiveOmit<Request, 'id'>;

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  example: string;
  /** Arguments are job ids (for completion). */
  takesJobId: boolean;
  parse(rest: string): RequestBody | { error: string };
}

function words(rest: string): string[] {
  return rest.split(/\s+/).filter((w) => w !== '');
}

function jobIdArg(name: string, rest: string): number | { error: string } {
  const args = words(rest);
  if (args.length === 0) return { error: `${name} needs a JobID, e.g. '${name} 3'.` };
  if (args.length > 1) return { error: `${name} takes one JobID, not ${args.length} arguments.` };
  const [arg = ''] = args;
  if (!/^\d+$/.test(arg) || Number(arg) < 1 || !Number.isSafeInteger(Number(arg))) {
    return { error: `'${arg}' is not a JobID; JobIDs are whole numbers from 1, as submit prints them.` };
  }
  return Number(arg);
}

function noArgs(name: string, rest: string, body: RequestBody): RequestBody | { error: string } {
  return words(rest).length === 0 ? body : { error: `${name} takes no arguments.` };
}

function withJobId(name: 'status' | 'suspend' | 'resume') {
  return (rest: string): RequestBody | { error: string } => {
    const jobId = jobIdArg(name, rest);
    return typeof jobId === 'number' ? { kind: name, jobId } : jobId;
  };
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'submit', usage: 'submit <job>', summary: 'run a job (a /bin/sh command line) in the next pool with room',
    example: 'submit make -C sim > build.log', takesJobId: false,
    parse(rest) {
      const command = rest.trim();
      if (command === '') return { error: "submit needs a job to run, e.g. 'submit sleep 10'." };
      if (Buffer.byteLength(command) > MAX_COMMAND_BYTES) {
        return { error: `the job is ${Buffer.byteLength(command)} bytes long; the most is ${MAX_COMMAND_BYTES}. Put it in a script and submit that.` };
      }
      return { kind: 'submit', command };
    },
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
        return { error: `status-all takes one duration in whole seconds, e.g. 'status-all 60', not '${rest.trim()}'.` };
      }
      return { kind: 'status-all', sinceSec: Number(arg) };
    },
  },
  {
    name: 'show-active', usage: 'show-active', summary: 'the jobs running now', example: 'show-active',
    takesJobId: false, parse: (rest) => noArgs('show-active', rest, { kind: 'show-active' }),
  },
  {
    name: 'show-pools', usage: 'show-pools', summary: "each live pool's pid and how many of its jobs run now",
    example: 'show-pools', takesJobId: false, parse: (rest) => noArgs('show-pools', rest, { kind: 'show-pools' }),
  },
  {
    name: 'show-finished', usage: 'show-finished', summary: 'the jobs that have finished', example: 'show-finished',
    takesJobId: false, parse: (rest) => noArgs('show-finished', rest, { kind: 'show-finished' }),
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
    name: 'shutdown', usage: 'shutdown',
    summary: 'stop the coordinator: running jobs get SIGTERM, then it answers with a summary',
    example: 'shutdown', takesJobId: false, parse: (rest) => noArgs('shutdown', rest, { kind: 'shutdown' }),
  },
];

/** Commands the console answers itself. */
export const LOCAL_COMMANDS = [
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
