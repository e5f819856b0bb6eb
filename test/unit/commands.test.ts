// Unit tests for the console's pure parts: protocol/duration.ts (durations as people type
// them), console/commands.ts (how the rest of a command line becomes a request, and the
// "did you mean" suggestion), console/render.ts (the text of answers) and console/json.ts
// (the --json documents). No processes, no FIFOs.

import t, { type Test } from 'tap';
import { MAX_COMMAND_BYTES, type JobResult, type JobView, type Reply } from '../../protocol/messages.js';
import { ALL_NAMES, COMMANDS, findCommand, suggest, type Parsed } from '../../console/commands.js';
import { formatDuration, parseDuration } from '../../protocol/duration.js';
import { plain } from '../../console/paint.js';
import { ending, infoLines, localTime, outcomeLine, renderSingle } from '../../console/render.js';
import { itemJson, jobDoc, singleJson } from '../../console/json.js';
import { helpJson, helpLines, wrap } from '../../console/help.js';

// --- helpers -----------------------------------------------------------------------

/** The named command's parse of `rest`. */
function parse(name: string, rest: string): Parsed {
  const spec = findCommand(name);
  if (spec === undefined) throw new Error(`no command '${name}'`);
  return spec.parse(rest);
}

/** Asserts `got` is `{ error: <non-empty string> }` and nothing else; returns the message. */
function errorOf(t: Test, got: Parsed, what: string): string {
  t.strictSame(Object.keys(got), ['error'], `${what}: an error, nothing else`);
  const message = 'error' in got ? got.error : undefined;
  t.equal(typeof message, 'string', `${what}: the error is a string`);
  t.ok(typeof message === 'string' && message.trim() !== '', `${what}: the error is not empty`);
  return typeof message === 'string' ? message : '';
}

/** What a submit body's env must be: process.env's defined entries. */
function definedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

/** The body submit must produce for `command` (and a timeout). */
function submitBody(command: string, timeoutSec?: number): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: 'submit', command, env: definedEnv(), cwd: process.cwd() };
  if (timeoutSec !== undefined) body['timeoutSec'] = timeoutSec;
  return body;
}

type SubmitBody = Extract<Parsed, { kind: 'submit' }>;

/** The parsed line as a submit body, or null when it is not one. */
function submitOf(got: Parsed): SubmitBody | null {
  return 'kind' in got && got.kind === 'submit' ? got : null;
}

/** The command of a parsed submit, or null when it is not one. */
function commandOf(got: Parsed): string | null {
  return submitOf(got)?.command ?? null;
}

const paint = plain;

const SUBMITTED_AT = Date.UTC(2024, 4, 6, 9, 0, 0);
const STARTED_AT = Date.UTC(2024, 4, 6, 9, 0, 2, 500);
const ENDED_AT = Date.UTC(2024, 4, 6, 10, 30, 2, 500);

/** A finished job that succeeded, with every field set; `over` changes some. */
function view(over: Partial<JobView> = {}): JobView {
  return {
    jobId: 3,
    status: 'finished',
    command: 'make -C sim > build.log',
    pid: 2324,
    poolPid: 2300,
    dir: '/tmp/jms/jms_alice_3_2324_20240506_090002',
    runningForSec: null,
    submittedAt: SUBMITTED_AT,
    startedAt: STARTED_AT,
    endedAt: ENDED_AT,
    result: { kind: 'exited', code: 0 },
    timeoutSec: null,
    cwd: '/home/alice/sim',
    origin: { user: 'alice', host: 'lab3', consolePid: 4242 },
    pause: null,
    host: 'local',
    needs: [],
    waiting: null,
    batch: null, name: null, kind: 'job', after: [], retries: 0, attempts: [], priority: 0, beginAt: null, hooks: [], archive: null,
    ...over,
  };
}

/** A queued job: nothing but its command and submission time is known. */
function queuedView(): JobView {
  return view({
    jobId: 7, status: 'queued', pid: null, poolPid: null, dir: null, startedAt: null, endedAt: null, result: null,
    cwd: null, origin: null,
  });
}

// --- durations ---------------------------------------------------------------------

t.test('parseDuration: the forms people type', async (t) => {
  const cases: readonly [string, number][] = [
    ['90', 90],
    ['1', 1],
    ['90s', 90],
    ['15m', 900],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1d', 86_400],
    ['1d2h3m4s', 86_400 + 7200 + 180 + 4],
    ['0h5m', 300],
    ['007', 7],
  ];
  for (const [text, sec] of cases) t.equal(parseDuration(text), sec, `'${text}' is ${sec} s`);
});

t.test('parseDuration: case and surrounding whitespace do not matter', async (t) => {
  t.equal(parseDuration('2H'), 7200, 'upper-case unit');
  t.equal(parseDuration('1H30M'), 5400, 'upper-case units');
  t.equal(parseDuration('1D'), 86_400, 'upper-case day');
  t.equal(parseDuration('90S'), 90, 'upper-case seconds');
  t.equal(parseDuration('  15m  '), 900, 'spaces around');
  t.equal(parseDuration('\t2h\n'), 7200, 'tab and newline around');
  t.equal(parseDuration(' 90 '), 90, 'bare seconds with spaces around');
});

t.test('parseDuration: rejections are null, never a throw', async (t) => {
  const bad: readonly [string, string][] = [
    ['', 'empty'],
    ['   ', 'only whitespace'],
    ['0', 'zero'],
    ['0s', 'zero seconds'],
    ['0h0m', 'zero in units'],
    ['-5', 'negative'],
    ['-5m', 'negative with a unit'],
    ['1.5h', 'a fraction'],
    ['soon', 'a word'],
    ['1h30', 'a trailing number without a unit'],
    ['h', 'a unit without a number'],
    ['1w', 'an unknown unit'],
    ['1 h', 'a space inside'],
    ['1h 30m', 'a space between parts'],
    ['+5', 'a plus sign'],
    ['1e3', 'exponent notation'],
    ['0x10', 'hex'],
    ['99999999999999999999', 'bare seconds past the safe integers'],
    ['9007199254740992', 'bare seconds one past MAX_SAFE_INTEGER'],
    ['99999999999999999d', 'days past the safe integers'],
    ['9999999999999h', 'hours past the safe integers'],
  ];
  for (const [text, what] of bad) t.equal(parseDuration(text), null, `${what} ('${text}') is rejected`);
  t.equal(parseDuration(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER, 'MAX_SAFE_INTEGER itself is fine');
});

t.test('formatDuration', async (t) => {
  const cases: readonly [number, string][] = [
    [1, '1s'],
    [59, '59s'],
    [60, '1m'],
    [90, '1m30s'],
    [900, '15m'],
    [3600, '1h'],
    [5400, '1h30m'],
    [3601, '1h1s'],
    [86_400, '1d'],
    [86_400 + 7200 + 180 + 4, '1d2h3m4s'],
    [3 * 86_400, '3d'],
    [0, '0s'],
    [-5, '0s'],
    [1.4, '1s'],
    [1.6, '2s'],
    [59.5, '1m'],
  ];
  for (const [sec, text] of cases) t.equal(formatDuration(sec), text, `${sec} s is '${text}'`);
});

t.test('durations round-trip', async (t) => {
  const canonical = ['1s', '45s', '1m', '1m30s', '15m', '2h', '1h30m', '1h1s', '1d', '1d1s', '2d3h4m5s', '10d'];
  for (const text of canonical) {
    const sec = parseDuration(text);
    t.not(sec, null, `'${text}' parses`);
    if (sec !== null) t.equal(formatDuration(sec), text, `formatDuration(parseDuration('${text}')) is '${text}'`);
  }
  const normalised: readonly [string, string][] = [
    ['90', '1m30s'],
    ['90s', '1m30s'],
    ['60m', '1h'],
    ['24h', '1d'],
    ['1H30M', '1h30m'],
    [' 2h ', '2h'],
  ];
  for (const [text, canon] of normalised) {
    const sec = parseDuration(text);
    t.equal(sec === null ? null : formatDuration(sec), canon, `'${text}' comes back as '${canon}'`);
  }
  for (const sec of [1, 59, 61, 3599, 3600, 86_399, 86_401, 1_000_000]) {
    t.equal(parseDuration(formatDuration(sec)), sec, `parseDuration(formatDuration(${sec})) is ${sec}`);
  }
});

// --- the command table -------------------------------------------------------------

t.test('every command is found by its name and has usage, summary and example', async (t) => {
  for (const c of COMMANDS) {
    t.equal(findCommand(c.name), c, `findCommand('${c.name}')`);
    t.ok(c.usage.startsWith(c.name), `${c.name}: usage starts with the name`);
    t.ok(c.summary.length > 0, `${c.name}: has a summary`);
    t.ok(c.example.startsWith(c.name), `${c.name}: example starts with the name`);
  }
  t.equal(findCommand('help'), undefined, 'local commands are not in the table');
  t.equal(findCommand('nope'), undefined, 'unknown names are undefined');
  for (const n of ['kill', 'info', 'logs', 'wait', 'show-queued', 'pause-all', 'resume-all']) {
    t.ok(ALL_NAMES.includes(n), `'${n}' is a known name`);
  }
});

// --- submit ------------------------------------------------------------------------

t.test('submit: a plain job carries env and cwd, and no timeout', async (t) => {
  const got = parse('submit', 'sleep 10');
  t.strictSame(got, submitBody('sleep 10'), 'the whole body');
  t.notOk('timeoutSec' in got, 'no timeoutSec key at all without --timeout');
  t.notOk('id' in got, 'no id: the connection adds it');
  const body = submitOf(got);
  if (body !== null) {
    const env = body.env;
    t.type(env, 'object', 'env is an object');
    t.ok(env !== undefined && Object.values(env).every((v) => typeof v === 'string'), 'every env value is a string');
    t.strictSame(env, definedEnv(), "env is process.env's defined entries");
    t.equal(body.cwd, process.cwd(), 'cwd is process.cwd()');
  } else {
    t.fail('submit gives a submit body');
  }
});

t.test('submit: the env is taken once, at the first submit (a console never changes its own)', async (t) => {
  const first = submitOf(parse('submit', 'env'))?.env;
  const key = 'JMS_COMMANDS_TEST_VAR';
  process.env[key] = 'a value with spaces';
  t.teardown(() => {
    delete process.env[key];
  });
  const later = submitOf(parse('submit', 'env'))?.env;
  t.ok(first !== undefined && later === first, 'every submit carries the same environment object');
  t.ok(Object.isFrozen(later), 'frozen, so the key computed for it once stays right');
  t.notOk(key in (later ?? {}), 'a variable set in the process afterwards is not in it');
  t.equal(submitOf(parse('submit', `--export ${key} env`))?.setEnv?.[key], 'a value with spaces', '--export still reads the variable as it is now');
});

t.test('submit: --timeout forms', async (t) => {
  t.strictSame(parse('submit', '--timeout 2h job'), submitBody('job', 7200), '--timeout 2h job');
  t.strictSame(parse('submit', '--timeout=2h job'), submitBody('job', 7200), '--timeout=2h job');
  t.strictSame(parse('submit', '--timeout 1s -- --x'), submitBody('--x', 1), '--timeout 1s -- --x');
  t.strictSame(parse('submit', '--timeout=1h30m make -C sim'), submitBody('make -C sim', 5400), 'a compound duration');
  t.strictSame(parse('submit', '--timeout 90 sleep 100'), submitBody('sleep 100', 90), 'bare seconds');
  t.strictSame(parse('submit', '--timeout 2H job'), submitBody('job', 7200), 'an upper-case unit');
  t.strictSame(parse('submit', '  --timeout\t2h\tjob  '), submitBody('job', 7200), 'tabs and outer spaces');
  t.strictSame(parse('submit', '--timeout 1h --timeout 2h job'), submitBody('job', 7200), 'the last --timeout wins');
  t.strictSame(parse('submit', '--timeout 2h -- --timeout 5 x'), submitBody('--timeout 5 x', 7200),
    'after --, --timeout belongs to the job');
});

t.test('submit: -- before a job that starts with --', async (t) => {
  t.strictSame(parse('submit', '-- --weird-program'), submitBody('--weird-program'), '-- --weird-program');
  t.strictSame(parse('submit', '-- --timeout 5'), submitBody('--timeout 5'), '-- --timeout 5: the job, not an option');
  t.strictSame(parse('submit', '-- -- x'), submitBody('-- x'), 'only the first -- is taken');
  t.strictSame(parse('submit', '--\t--x'), submitBody('--x'), '-- followed by a tab');
});

t.test('submit: an unknown option is an error that shows how to use --', async (t) => {
  const msg = errorOf(t, parse('submit', '--bogus'), '--bogus');
  t.match(msg, /--bogus/, 'names the option');
  t.match(msg, /--timeout/, 'says which option there is');
  t.ok(msg.includes('submit -- '), "mentions 'submit -- '");
  t.ok(msg.includes("'submit -- --bogus'"), 'the suggested line is the job after --');
  const withArgs = errorOf(t, parse('submit', '--bogus a b'), '--bogus a b');
  t.ok(withArgs.includes("'submit -- --bogus a b'"), 'the suggestion keeps the whole job');
  errorOf(t, parse('submit', '--timeout2h job'), '--timeout2h (no separator)');
  errorOf(t, parse('submit', '--timeout 2h --bogus x'), 'an unknown option after --timeout');
  const long = errorOf(t, parse('submit', `--${'y'.repeat(100)}`), 'a very long option');
  t.ok(long.includes('…'), 'a long option is shortened in the message');
  t.ok(long.length < 300, 'and the message stays short');
});

t.test('submit: --timeout without a value, or with a bad one', async (t) => {
  const none = errorOf(t, parse('submit', '--timeout'), '--timeout alone');
  t.match(none, /--timeout needs/, 'says --timeout needs a value');
  t.match(none, /'submit --timeout 2h make'/, 'and shows how to give one');
  errorOf(t, parse('submit', '--timeout   '), '--timeout and spaces');
  for (const bad of ['soon', '0', '0s', '-5', '1.5h', '1h30', 'h']) {
    const msg = errorOf(t, parse('submit', `--timeout ${bad} job`), `--timeout ${bad}`);
    t.ok(msg.includes(`'${bad}'`), `--timeout ${bad}: the message quotes the bad value`);
    errorOf(t, parse('submit', `--timeout=${bad} job`), `--timeout=${bad}`);
  }
  errorOf(t, parse('submit', '--timeout=job'), '--timeout=job');
  errorOf(t, parse('submit', '--timeout= 2h job'), '--timeout= 2h (a space after =)');
  errorOf(t, parse('submit', '--timeout -- job'), '--timeout -- job (-- is not a duration)');
});

t.test('submit: option-like words after the job starts stay in the job', async (t) => {
  t.strictSame(parse('submit', 'echo --timeout 5'), submitBody('echo --timeout 5'), 'echo --timeout 5');
  t.strictSame(parse('submit', 'echo --bogus -- x'), submitBody('echo --bogus -- x'), 'echo --bogus -- x');
  t.strictSame(parse('submit', '--timeout 1m echo --timeout=2h'), submitBody('echo --timeout=2h', 60),
    'only the leading --timeout is an option');
  // No command begins with '-': such a word before the job is a misplaced option (`submit -q echo`).
  const dash = errorOf(t, parse('submit', '-x foo'), 'a single-dash word before the job');
  t.equal(dash, "submit has no option '-x' (it has --timeout, --needs, --env, --export, --after, --retries, --priority, --begin and --on-exit); to run a job that starts with '-', write 'submit -- -x foo'.");
  t.strictSame(parse('submit', '-- -x foo'), submitBody('-x foo'), 'after --, it starts the job');
});

t.test('submit: the job is kept verbatim', async (t) => {
  const jobs = [
    `grep -c "a  b" data.txt |  wc -l`,
    `echo 'x   y'  >  out.txt 2>&1 && cat out.txt`,
    `for i in 1 2 3; do echo "$i"; done`,
    `sh -c 'echo \\"quoted\\"'`,
    `echo 😀 € | tr a-z A-Z`,
    `a\tb`,
  ];
  for (const job of jobs) {
    t.equal(commandOf(parse('submit', job)), job, `kept: ${job}`);
    t.equal(commandOf(parse('submit', `--timeout 5m   ${job}`)), job, `kept after --timeout: ${job}`);
    t.equal(commandOf(parse('submit', `--   ${job}`)), job, `kept after --: ${job}`);
  }
  t.equal(commandOf(parse('submit', '   ls -l   ')), 'ls -l', 'only the outer whitespace goes');
});

t.test('submit: an empty job is an error', async (t) => {
  for (const rest of ['', '   ', '\t', '--', '-- ', '--timeout 2h', '--timeout=2h', '--timeout 2h --', '--timeout 2h --  ']) {
    const msg = errorOf(t, parse('submit', rest), `submit '${rest}'`);
    t.match(msg, /submit needs a job/, `submit '${rest}': says a job is needed`);
  }
});

t.test('submit: the size limit is in bytes', async (t) => {
  const atLimit = 'x'.repeat(MAX_COMMAND_BYTES);
  t.equal(commandOf(parse('submit', atLimit)), atLimit, 'exactly MAX_COMMAND_BYTES is accepted');
  const over = errorOf(t, parse('submit', `${atLimit}x`), 'one byte over');
  t.ok(over.includes(String(MAX_COMMAND_BYTES)), 'says the limit');
  const wide = 'é'.repeat(Math.floor(MAX_COMMAND_BYTES / 2) + 1);
  errorOf(t, parse('submit', wide), 'over the limit in bytes though not in characters');
});

// --- logs --------------------------------------------------------------------------

t.test('logs: valid forms', async (t) => {
  const base = { kind: 'logs', jobId: 3, stream: 'stdout', lines: null, follow: false };
  t.strictSame(parse('logs', '3'), base, 'logs 3');
  t.strictSame(parse('logs', '3 --stderr -n 5 -f'), { ...base, stream: 'stderr', lines: 5, follow: true },
    'logs 3 --stderr -n 5 -f');
  t.strictSame(parse('logs', '3 -n5'), { ...base, lines: 5 }, 'logs 3 -n5');
  t.strictSame(parse('logs', '-n5 3'), { ...base, lines: 5 }, 'logs -n5 3');
  t.strictSame(parse('logs', '3 --follow'), { ...base, follow: true }, 'logs 3 --follow');
  t.strictSame(parse('logs', '-f --stderr 3'), { ...base, stream: 'stderr', follow: true }, 'options before the id');
  t.strictSame(parse('logs', '-n 20 3'), { ...base, lines: 20 }, '-n 20 before the id');
  t.strictSame(parse('logs', '  3   -n   0 '), { ...base, lines: 0 }, '-n 0 and extra spaces');
  t.strictSame(parse('logs', '3 -n 5 -n 7'), { ...base, lines: 7 }, 'the last -n wins');
});

t.test('logs: mistakes', async (t) => {
  t.match(errorOf(t, parse('logs', ''), 'no id'), /logs needs a JobID/);
  t.match(errorOf(t, parse('logs', '--stderr -f'), 'options but no id'), /logs needs a JobID/);
  t.match(errorOf(t, parse('logs', '-n5'), '-n5 alone'), /logs needs a JobID/);
  t.match(errorOf(t, parse('logs', '3 4'), 'two ids'), /one JobID/);
  for (const rest of ['3 -n', '3 -n x', '3 -nx', '3 -n -1', '3 -n 1.5', '3 -n 99999999999999999999', '-n 3']) {
    const msg = errorOf(t, parse('logs', rest), `logs ${rest}`);
    if (rest !== '-n 3') t.match(msg, /-n takes a number/, `logs ${rest}: about -n`);
  }
  for (const rest of ['3 --bogus', '3 -x', '3 --tail', '-3']) {
    t.match(errorOf(t, parse('logs', rest), `logs ${rest}`), /logs has no option/, `logs ${rest}: unknown option`);
  }
  for (const rest of ['x', '0', '3x']) {
    t.match(errorOf(t, parse('logs', rest), `logs ${rest}`), /is not a JobID/, `logs ${rest}: not a JobID`);
  }
});

// --- wait --------------------------------------------------------------------------

t.test('wait', async (t) => {
  t.strictSame(parse('wait', '3'), { kind: 'wait', jobIds: [3] }, 'one id');
  t.strictSame(parse('wait', '3 4  12'), { kind: 'wait', jobIds: [3, 4, 12] }, 'several ids, in order');
  t.strictSame(parse('wait', '--all'), { kind: 'wait', jobIds: 'all' }, '--all');
  t.strictSame(parse('wait', '  --all  '), { kind: 'wait', jobIds: 'all' }, '--all with spaces');
  t.match(errorOf(t, parse('wait', '3 --all'), 'ids then --all'), /not both/);
  t.match(errorOf(t, parse('wait', '--all 3'), '--all then ids'), /not both/);
  t.match(errorOf(t, parse('wait', ''), 'nothing'), /wait needs JobIDs or --all/);
  t.match(errorOf(t, parse('wait', '   '), 'only spaces'), /wait needs JobIDs or --all/);
  for (const rest of ['x', '0', '3 x', '3 0', '-1', '1.5']) {
    t.match(errorOf(t, parse('wait', rest), `wait ${rest}`), /is not a JobID/, `wait ${rest}: not a JobID`);
  }
});

// --- pause-all, show-finished, shutdown -------------------------------------------

t.test('pause-all', async (t) => {
  t.strictSame(parse('pause-all', ''), { kind: 'pause-all', forSec: null }, 'no argument');
  t.strictSame(parse('pause-all', '  '), { kind: 'pause-all', forSec: null }, 'only spaces');
  t.strictSame(parse('pause-all', '--for 1h30m'), { kind: 'pause-all', forSec: 5400 }, '--for 1h30m');
  t.strictSame(parse('pause-all', '--for=10m'), { kind: 'pause-all', forSec: 600 }, '--for=10m');
  t.strictSame(parse('pause-all', ' --for   90 '), { kind: 'pause-all', forSec: 90 }, '--for 90 with spaces');
  for (const bad of ['soon', '0', '1.5h', '-5', '1h30']) {
    const msg = errorOf(t, parse('pause-all', `--for ${bad}`), `--for ${bad}`);
    t.ok(msg.includes(`'${bad}'`), `--for ${bad}: quotes the bad value`);
    errorOf(t, parse('pause-all', `--for=${bad}`), `--for=${bad}`);
  }
  for (const junk of ['now', '--for', '--for=', '--for 1h extra', '--forever', '1h', '--bogus']) {
    t.match(errorOf(t, parse('pause-all', junk), `pause-all ${junk}`), /pause-all takes nothing, or --for and a duration/,
      `pause-all ${junk}: says what it takes`);
  }
});

t.test('show-finished', async (t) => {
  t.strictSame(parse('show-finished', ''), { kind: 'show-finished', long: false }, 'no argument');
  t.strictSame(parse('show-finished', '--long'), { kind: 'show-finished', long: true }, '--long');
  t.strictSame(parse('show-finished', '  --long '), { kind: 'show-finished', long: true }, '--long with spaces');
  for (const junk of ['long', '--short', '--long --long', '--long x', '-l']) {
    const msg = errorOf(t, parse('show-finished', junk), `show-finished ${junk}`);
    t.match(msg, /show-finished takes nothing or --long/, `show-finished ${junk}: says what it takes`);
  }
});

t.test('shutdown', async (t) => {
  t.strictSame(parse('shutdown', ''), { kind: 'shutdown', drain: false }, 'no argument');
  t.strictSame(parse('shutdown', '--drain'), { kind: 'shutdown', drain: true }, '--drain');
  for (const junk of ['now', '--force', '--drain --drain', '--drain=1']) {
    const msg = errorOf(t, parse('shutdown', junk), `shutdown ${junk}`);
    t.match(msg, /shutdown takes nothing or --drain/, `shutdown ${junk}: says what it takes`);
  }
});

// --- one-JobID commands ----------------------------------------------------------

t.test('kill / info / status / suspend / resume: one JobID', async (t) => {
  for (const name of ['kill', 'info', 'status', 'suspend', 'resume'] as const) {
    t.strictSame(parse(name, '3'), { kind: name, jobId: 3 }, `${name} 3`);
    t.strictSame(parse(name, '  42 '), { kind: name, jobId: 42 }, `${name} 42 with spaces`);
    t.match(errorOf(t, parse(name, ''), `${name} with no id`), new RegExp(`${name} needs a JobID`),
      `${name}: says an id is needed`);
    t.match(errorOf(t, parse(name, '3 4'), `${name} 3 4`), /takes one JobID, not 2 words/,
      `${name}: says one id`);
    for (const bad of ['x', '0', '-1', '1.5', '99999999999999999999']) {
      const msg = errorOf(t, parse(name, bad), `${name} ${bad}`);
      t.match(msg, /is not a JobID/, `${name} ${bad}: not a JobID`);
    }
    t.equal(errorOf(t, parse(name, 'x'), `${name} x`),
      "'x' is not a JobID; JobIDs are whole numbers from 1, as submit prints them.", `${name} x: the README's sentence`);
  }
});

t.test('status-all and the commands without arguments', async (t) => {
  t.strictSame(parse('status-all', ''), { kind: 'status-all', sinceSec: null }, 'status-all');
  t.strictSame(parse('status-all', '60'), { kind: 'status-all', sinceSec: 60 }, 'status-all 60');
  for (const bad of ['x', '1 2', '-1', '1h']) errorOf(t, parse('status-all', bad), `status-all ${bad}`);
  for (const name of ['show-active', 'show-pools', 'show-queued', 'show-hosts'] as const) {
    t.strictSame(parse(name, ''), { kind: name }, name);
    t.strictSame(parse(name, '  '), { kind: name }, `${name} with spaces`);
    const says = name === 'show-pools' ? /show-pools takes nothing or --long/ : /takes no arguments/;
    t.match(errorOf(t, parse(name, 'x'), `${name} x`), says, `${name} x`);
  }
  t.strictSame(parse('show-pools', '--long'), { kind: 'show-pools', long: true }, 'show-pools --long');
});

t.test('wait: each JobID once, at most as many as the coordinator takes', async (t) => {
  t.strictSame(parse('wait', '2 2'), { kind: 'wait', jobIds: [2] }, 'wait 2 2 is wait 2');
  t.strictSame(parse('wait', '4 2 4 3 2'), { kind: 'wait', jobIds: [4, 2, 3] }, 'first-seen order');
  const many = Array.from({ length: 10_001 }, (_, i) => String(i + 1)).join(' ');
  t.match(errorOf(t, parse('wait', many), 'wait with 10,001 ids'), /^wait takes at most 10000 JobIDs, not 10001; /);
});

t.test('durations past what the coordinator takes are refused in its own words', async (t) => {
  t.equal(errorOf(t, parse('pause-all', '--for 200d'), 'pause-all --for 200d'), "--for is at most 100d, not '200d'; give a shorter duration.");
  t.equal(errorOf(t, parse('submit', '--timeout 101d make'), 'submit --timeout 101d'), "--timeout is at most 100d, not '101d'; give a shorter duration.");
  t.strictSame(parse('pause-all', '--for 100d'), { kind: 'pause-all', forSec: 100 * 86_400 }, '100d itself is taken');
});

// --- suggest -----------------------------------------------------------------------

t.test('suggest: near misses', async (t) => {
  const cases: readonly [string, string][] = [
    ['kil', 'kill'],
    ['pause', 'pause-all'],
    ['resum-all', 'resume-all'],
    ['show-queue', 'show-queued'],
    ['inf', 'info'],
    ['statu', 'status'],
    ['submt', 'submit'],
    ['wiat', 'wait'],
    ['lgos', 'logs'],
    ['show-finishd', 'show-finished'],
    ['shutdwn', 'shutdown'],
    ['pause-al', 'pause-all'],
    ['hlep', 'help'],
  ];
  for (const [typed, want] of cases) t.equal(suggest(typed), want, `'${typed}' -> '${want}'`);
});

t.test('suggest: nothing for something far', async (t) => {
  for (const typed of ['xyzzy', 'frobnicate', 'zzzzzzzzzzzz', 'q1w2e3', '']) {
    t.equal(suggest(typed), null, `'${typed}' has no suggestion`);
  }
});

// --- render ------------------------------------------------------------------------

const RESULTS: readonly [string, JobResult, string, { word: string; detail: string; sep: ' ' | ': ' }][] = [
  ['exited 0', { kind: 'exited', code: 0 }, 'JobID 4 succeeded (exit code 0)',
    { word: 'succeeded', detail: 'exit code 0', sep: ' ' }],
  ['exited 3', { kind: 'exited', code: 3 }, 'JobID 4 failed (exit code 3)',
    { word: 'failed', detail: 'exit code 3', sep: ' ' }],
  ['signalled', { kind: 'signalled', signal: 'SIGTERM' }, 'JobID 4 killed (SIGTERM)',
    { word: 'killed', detail: 'SIGTERM', sep: ' ' }],
  ['timed-out by a signal', { kind: 'timed-out', signal: 'SIGTERM', code: null, afterSec: 1 },
    'JobID 4 timed out after 1s (SIGTERM)', { word: 'timed out after 1s', detail: 'SIGTERM', sep: ' ' }],
  ['timed-out with a code', { kind: 'timed-out', signal: null, code: 143, afterSec: 5400 },
    'JobID 4 timed out after 1h30m (exit code 143)', { word: 'timed out after 1h30m', detail: 'exit code 143', sep: ' ' }],
  ['start-failed', { kind: 'start-failed', reason: 'its working directory /x is gone or not a directory' },
    'JobID 4 failed: its working directory /x is gone or not a directory',
    { word: 'failed', detail: 'its working directory /x is gone or not a directory', sep: ': ' }],
  ['lost', { kind: 'lost', reason: 'its pool (pid 4242) was killed by SIGKILL' },
    'JobID 4 lost: its pool (pid 4242) was killed by SIGKILL',
    { word: 'lost', detail: 'its pool (pid 4242) was killed by SIGKILL', sep: ': ' }],
  ['cancelled', { kind: 'cancelled', reason: 'killed before it started (removed from the queue)' },
    'JobID 4 cancelled: killed before it started (removed from the queue)',
    { word: 'cancelled', detail: 'killed before it started (removed from the queue)', sep: ': ' }],
];

t.test('render: ending and outcomeLine for every kind of result', async (t) => {
  for (const [name, result, line, end] of RESULTS) {
    t.strictSame(ending(result), end, `ending: ${name}`);
    t.equal(outcomeLine(4, result, paint), line, `outcomeLine: ${name}`);
  }
  t.equal(outcomeLine(4, null, paint), 'JobID 4 has not finished', 'outcomeLine: not finished');
  for (const [, result] of RESULTS) {
    t.notOk(outcomeLine(4, result, paint).includes('\u001b['), 'no escape codes without colour');
  }
});

const INFO_FIELDS = [
  'JobID', 'Command', 'Status', 'PID', 'Pool', 'Host', 'Directory', 'Submitted', 'Started', 'Ended', 'Exit', 'Timeout',
  'Working directory', 'Submitted by',
];

/** `Field: value` lines as [field, value] pairs. */
function fields(lines: readonly string[]): [string, string][] {
  return lines.map((l) => {
    const at = l.indexOf(': ');
    return at < 0 ? [l, ''] : [l.slice(0, at), l.slice(at + 2)];
  });
}

t.test('render: infoLines, its fields in the README order', async (t) => {
  const lines = infoLines(view({ result: { kind: 'exited', code: 2 }, timeoutSec: 5400 }), paint);
  t.equal(lines.length, 14, '14 lines');
  t.strictSame(fields(lines).map(([f]) => f), INFO_FIELDS, 'the field names, in order');
  const f = new Map(fields(lines));
  t.equal(f.get('JobID'), '3');
  t.equal(f.get('Command'), 'make -C sim > build.log');
  t.equal(f.get('Status'), 'Finished (failed, exit code 2)');
  t.equal(f.get('PID'), '2324');
  t.equal(f.get('Pool'), '2300');
  t.equal(f.get('Directory'), '/tmp/jms/jms_alice_3_2324_20240506_090002');
  t.equal(f.get('Submitted'), localTime(SUBMITTED_AT));
  t.equal(f.get('Started'), localTime(STARTED_AT));
  t.equal(f.get('Ended'), localTime(ENDED_AT));
  t.match(f.get('Ended') ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'local time as YYYY-MM-DD HH:MM:SS');
  t.equal(f.get('Exit'), 'code 2');
  t.equal(f.get('Timeout'), '1h30m');
  t.equal(f.get('Working directory'), '/home/alice/sim');
  t.equal(f.get('Submitted by'), 'alice@lab3, console pid 4242');
});

t.test('render: infoLines of a queued job and of other endings', async (t) => {
  const q = new Map(fields(infoLines(queuedView(), paint)));
  t.strictSame([...q.keys()], INFO_FIELDS, 'same fields for a queued job');
  t.equal(q.get('Status'), 'Queued');
  for (const k of ['PID', 'Pool', 'Directory', 'Started', 'Ended', 'Exit', 'Working directory', 'Submitted by']) {
    t.equal(q.get(k), '-', `queued: ${k} is -`);
  }
  t.equal(q.get('Timeout'), 'none', 'no timeout is none');

  const timedOut = new Map(fields(infoLines(view({ result: { kind: 'timed-out', signal: 'SIGTERM', code: null, afterSec: 1 }, timeoutSec: 1 }), paint)));
  t.equal(timedOut.get('Status'), 'Finished (timed out after 1s, SIGTERM)', "the README's timed-out status");
  t.equal(timedOut.get('Exit'), 'signal SIGTERM');
  const killed = new Map(fields(infoLines(view({ result: { kind: 'signalled', signal: 'SIGKILL' } }), paint)));
  t.equal(killed.get('Exit'), 'signal SIGKILL');
  const lost = new Map(fields(infoLines(view({ result: { kind: 'lost', reason: 'its pool vanished' } }), paint)));
  t.equal(lost.get('Status'), 'Finished (lost: its pool vanished)');
  t.equal(lost.get('Exit'), '-');
  const active = new Map(fields(infoLines(view({ status: 'active', runningForSec: 3, endedAt: null, result: null }), paint)));
  t.equal(active.get('Status'), 'Active (running for 3 seconds)');
  const held = new Map(fields(infoLines(view({ status: 'suspended', runningForSec: 3, endedAt: null, result: null, pause: { until: null } }), paint)));
  t.equal(held.get('Status'), 'Suspended (pause-all, until resume-all)');
});

t.test('render: renderSingle', async (t) => {
  t.equal(renderSingle({ kind: 'dequeued', id: 1, jobId: 3 }, paint), 'Removed JobID 3 from the queue', 'dequeued');
  t.equal(renderSingle({ kind: 'paused', id: 1, jobs: 3, until: null }, paint),
    'Paused 3 running jobs; no job starts until resume-all', 'paused until resume-all');
  t.equal(renderSingle({ kind: 'paused', id: 1, jobs: 1, until: null }, paint),
    'Paused 1 running job; no job starts until resume-all', 'paused one job');
  t.equal(renderSingle({ kind: 'paused', id: 1, jobs: 0, until: null }, paint),
    'Paused 0 running jobs; no job starts until resume-all', 'paused no job');
  const until = Date.now() + 5400_000;
  t.match(renderSingle({ kind: 'paused', id: 1, jobs: 3, until }, paint),
    /^Paused 3 running jobs; everything resumes by itself at \d{2}:\d{2}:\d{2}(?:| \S+) \(in 1h(?:30m|29m59s)\)$|^Paused 3 running jobs; everything resumes by itself at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(in 1h(?:30m|29m59s)\)$/,
    'paused with an end time');
  t.equal(renderSingle({ kind: 'resumed-all', id: 1, jobs: 1 }, paint), 'Resumed 1 job; jobs start again', 'resumed 1');
  t.equal(renderSingle({ kind: 'resumed-all', id: 1, jobs: 2 }, paint), 'Resumed 2 jobs; jobs start again', 'resumed 2');
  t.equal(renderSingle({ kind: 'signalled', id: 1, jobId: 3, action: 'kill' }, paint), 'Sent kill signal to JobID 3',
    'signalled kill');
  t.equal(renderSingle({ kind: 'signalled', id: 1, jobId: 3, action: 'suspend' }, paint),
    'Sent suspend signal to JobID 3', 'signalled suspend');
  t.equal(renderSingle({ kind: 'submitted', id: 1, jobId: 3, pid: 2324 }, paint), 'JobID: 3, PID: 2324', 'submitted');
  t.equal(renderSingle({ kind: 'queued', id: 1, jobId: 3, position: 1 }, paint), 'JobID: 3, Queued (position 1)',
    'queued');
  t.equal(renderSingle({ kind: 'served', id: 1, served: 19, inProgress: 3 }, paint),
    'Served 19 jobs, 3 were still in progress', 'served');
});

// --- json --------------------------------------------------------------------------

/** README "JSON answers": the job document's fields. */
const JOB_DOC_KEYS = [
  'jobId', 'command', 'status', 'outcome', 'exitCode', 'signal', 'reason', 'pid', 'poolPid', 'dir', 'submittedAt',
  'startedAt', 'endedAt', 'runningForSec', 'timeoutSec', 'cwd', 'submittedBy', 'pausedByPauseAll', 'pauseEndsAt',
  'host', 'needs', 'waiting', 'batch', 'name', 'kind', 'after', 'retries', 'attempts', 'priority', 'beginAt', 'hooks', 'archive',
];

t.test('json: jobDoc has exactly the documented keys', async (t) => {
  for (const [name, v] of [['finished', view()], ['queued', queuedView()]] as const) {
    const doc = jobDoc(v);
    t.strictSame(Object.keys(doc).sort(), [...JOB_DOC_KEYS].sort(), `${name}: exactly the documented keys`);
    t.strictSame(Object.keys(doc), JOB_DOC_KEYS, `${name}: in the README's order`);
    t.ok(Object.values(doc).every((x) => x !== undefined), `${name}: no undefined (absent is null)`);
    t.strictSame(Object.keys(JSON.parse(JSON.stringify(doc)) as object), JOB_DOC_KEYS, `${name}: every key survives JSON`);
  }
});

t.test('json: jobDoc of a finished job', async (t) => {
  t.strictSame(jobDoc(view({ timeoutSec: 7200 })), {
    jobId: 3,
    command: 'make -C sim > build.log',
    status: 'finished',
    outcome: 'succeeded',
    exitCode: 0,
    signal: null,
    reason: null,
    pid: 2324,
    poolPid: 2300,
    dir: '/tmp/jms/jms_alice_3_2324_20240506_090002',
    submittedAt: '2024-05-06T09:00:00.000Z',
    startedAt: '2024-05-06T09:00:02.500Z',
    endedAt: '2024-05-06T10:30:02.500Z',
    runningForSec: null,
    timeoutSec: 7200,
    cwd: '/home/alice/sim',
    submittedBy: { user: 'alice', host: 'lab3', consolePid: 4242 },
    pausedByPauseAll: false,
    pauseEndsAt: null,
    host: 'local',
    needs: [],
    waiting: null,
    batch: null,
    name: null,
    kind: 'job',
    after: [],
    retries: 0,
    attempts: [],
    priority: 0,
    beginAt: null,
    hooks: [],
    archive: null,
  }, 'every field');
});

t.test('json: jobDoc of a queued job: null for what is absent', async (t) => {
  const doc = jobDoc(queuedView());
  t.equal(doc['submittedAt'], '2024-05-06T09:00:00.000Z', 'submittedAt as ISO 8601 UTC');
  t.equal(doc['status'], 'queued');
  for (const k of ['outcome', 'exitCode', 'signal', 'reason', 'pid', 'poolPid', 'dir', 'startedAt', 'endedAt',
    'runningForSec', 'timeoutSec', 'cwd', 'submittedBy', 'pauseEndsAt']) {
    t.equal(doc[k], null, `${k} is null`);
  }
  t.equal(doc['pausedByPauseAll'], false, 'not held');
});

t.test('json: jobDoc per kind of result, and pause-all', async (t) => {
  const pick = (v: JobView): unknown => {
    const d = jobDoc(v);
    return { outcome: d['outcome'], exitCode: d['exitCode'], signal: d['signal'], reason: d['reason'] };
  };
  const r = (result: JobResult): unknown => pick(view({ result }));
  t.strictSame(r({ kind: 'exited', code: 3 }), { outcome: 'failed', exitCode: 3, signal: null, reason: null }, 'exited 3');
  t.strictSame(r({ kind: 'signalled', signal: 'SIGTERM' }), { outcome: 'killed', exitCode: null, signal: 'SIGTERM', reason: null },
    'signalled');
  t.strictSame(r({ kind: 'timed-out', signal: 'SIGKILL', code: null, afterSec: 5 }),
    { outcome: 'timed-out', exitCode: null, signal: 'SIGKILL', reason: null }, 'timed-out by a signal');
  t.strictSame(r({ kind: 'timed-out', signal: null, code: 143, afterSec: 5 }),
    { outcome: 'timed-out', exitCode: 143, signal: null, reason: null }, 'timed-out with a code');
  t.strictSame(r({ kind: 'start-failed', reason: 'no such directory' }),
    { outcome: 'failed', exitCode: null, signal: null, reason: 'no such directory' }, 'start-failed');
  t.strictSame(r({ kind: 'lost', reason: 'pool died' }), { outcome: 'lost', exitCode: null, signal: null, reason: 'pool died' },
    'lost');
  t.strictSame(r({ kind: 'cancelled', reason: 'removed' }),
    { outcome: 'cancelled', exitCode: null, signal: null, reason: 'removed' }, 'cancelled');

  const until = Date.UTC(2024, 4, 6, 12, 0, 0);
  const held = jobDoc(view({ status: 'suspended', result: null, endedAt: null, runningForSec: 12, pause: { until } }));
  t.equal(held['pausedByPauseAll'], true, 'held by pause-all');
  t.equal(held['pauseEndsAt'], '2024-05-06T12:00:00.000Z', 'pauseEndsAt as ISO');
  t.equal(held['runningForSec'], 12, 'runningForSec');
  t.equal(held['outcome'], null, 'no outcome yet');
  const heldOpen = jobDoc(view({ status: 'suspended', result: null, endedAt: null, pause: { until: null } }));
  t.equal(heldOpen['pausedByPauseAll'], true, 'held until resume-all');
  t.equal(heldOpen['pauseEndsAt'], null, 'no end time');
});

t.test('json: singleJson', async (t) => {
  const one = (reply: Reply): unknown => JSON.parse(singleJson(reply));
  t.equal(singleJson({ kind: 'submitted', id: 1, jobId: 3, pid: 2324 }), '{"jobId":3,"status":"active","pid":2324}',
    'submitted');
  t.equal(singleJson({ kind: 'queued', id: 1, jobId: 3, position: 2 }), '{"jobId":3,"status":"queued","position":2}',
    'queued');
  t.strictSame(one({ kind: 'signalled', id: 1, jobId: 3, action: 'suspend' }),
    { jobId: 3, action: 'suspend', removedFromQueue: false }, 'signalled suspend');
  t.strictSame(one({ kind: 'signalled', id: 1, jobId: 3, action: 'kill' }),
    { jobId: 3, action: 'kill', removedFromQueue: false }, 'signalled kill');
  t.strictSame(one({ kind: 'dequeued', id: 1, jobId: 3 }), { jobId: 3, action: 'kill', removedFromQueue: true }, 'dequeued');
  t.strictSame(one({ kind: 'paused', id: 1, jobs: 3, until: null }), { paused: 3, until: null }, 'paused until resume-all');
  t.strictSame(one({ kind: 'paused', id: 1, jobs: 2, until: Date.UTC(2024, 4, 6, 12, 0, 0) }),
    { paused: 2, until: '2024-05-06T12:00:00.000Z' }, 'paused with an end time');
  t.strictSame(one({ kind: 'resumed-all', id: 1, jobs: 2 }), { resumed: 2 }, 'resumed-all');
  t.strictSame(one({ kind: 'served', id: 1, served: 19, inProgress: 3 }), { served: 19, inProgress: 3 }, 'served');
  t.strictSame(one({ kind: 'error', id: 1, code: 'E_UNKNOWN_JOB', message: 'JobID 9 does not exist.' }),
    { error: { code: 'E_UNKNOWN_JOB', message: 'JobID 9 does not exist.' } }, 'error');
  t.strictSame(one({ kind: 'info', id: 1, job: view() }), jobDoc(view()), 'info is the job document');
  t.strictSame(one({ kind: 'status', id: 1, job: queuedView() }), jobDoc(queuedView()), 'status is the job document');
  for (const reply of [
    { kind: 'submitted', id: 1, jobId: 3, pid: 2324 },
    { kind: 'paused', id: 1, jobs: 3, until: null },
    { kind: 'info', id: 1, job: view() },
  ] as const satisfies readonly Reply[]) {
    t.notOk(singleJson(reply).includes('\n'), `${reply.kind}: one line`);
    t.notOk('id' in (JSON.parse(singleJson(reply)) as object), `${reply.kind}: no request id in the document`);
  }
});

t.test('json: itemJson', async (t) => {
  t.equal(itemJson({ kind: 'pool', id: 1, pool: { pid: 2345, jobs: 3, host: 'local' } }), '{"pid":2345,"jobs":3}', 'pool');
  t.strictSame(JSON.parse(itemJson({
    kind: 'job', id: 1, job: { jobId: 4, status: 'finished', runningForSec: null, outcome: 'killed' },
  })), { jobId: 4, status: 'finished', runningForSec: null, outcome: 'killed' }, 'job: the list line');
  t.strictSame(JSON.parse(itemJson({
    kind: 'job', id: 1, job: { jobId: 5, status: 'active', runningForSec: 3, outcome: null },
  })), { jobId: 5, status: 'active', runningForSec: 3, outcome: null }, 'job: active, no outcome');
  const detail = JSON.parse(itemJson({ kind: 'detail', id: 1, job: view() })) as Record<string, unknown>;
  t.strictSame(detail, jobDoc(view()), 'detail: the job document');
  t.strictSame(Object.keys(detail), JOB_DOC_KEYS, 'detail: the documented keys');
  t.equal(itemJson({ kind: 'end', id: 1, count: 0 }), '', 'end is not an item');
});

t.test('durations: units largest first, each once', async (t) => {
  for (const bad of ['30m1h', '1m1m', '1s1m']) t.equal(parseDuration(bad), null, `${bad} is refused`);
  t.equal(parseDuration('1d1h1m1s'), 90061, 'all four in order');
});

t.test('submit: the hint for a job starting with -- keeps the options given', async (t) => {
  const r = findCommand('submit')?.parse('--timeout 2h --bogus x');
  t.ok(r !== undefined && 'error' in r && r.error.includes("'submit --timeout 2h -- --bogus x'"), String(r && 'error' in r ? r.error : r));
  for (const line of ['--timeout=', '--timeout= 2h job']) {
    const e = findCommand('submit')?.parse(line);
    t.ok(e !== undefined && 'error' in e && e.error.startsWith('--timeout needs'), `${line}: ${e !== undefined && 'error' in e ? e.error : ''}`);
  }
});

// --- help ----------------------------------------------------------------------------

t.test('help wraps at word boundaries to the width, and has a JSON form', async (t) => {
  const summaries = [...COMMANDS.map((c) => c.summary)];
  for (const columns of [40, 60, 80, 120]) {
    const text = helpLines(columns);
    t.ok(text.every((l) => l.length <= Math.max(columns, 48)), `${columns} columns: no line is longer (or than a usage that cannot be cut)`);
    const words = text.slice(1, -1).join(' ').split(/\s+/);
    for (const s of summaries) {
      for (const w of s.split(' ')) t.ok(words.includes(w), `${columns} columns: '${w}' is whole`);
    }
  }
  t.same(wrap('a bb ccc dddd', 6), ['a bb', 'ccc', 'dddd']);
  t.same(wrap('averyverylongword x', 5), ['averyverylongword', 'x'], 'a word longer than the width stands alone');
  const doc = JSON.parse(helpJson()) as unknown;
  const commands = typeof doc === 'object' && doc !== null && 'commands' in doc && Array.isArray(doc.commands) ? doc.commands : [];
  t.equal(commands.length, COMMANDS.length + 4, 'every command, the console\'s own too');
  t.match(commands[0], { name: 'submit', usage: 'submit [<options>] [--] <job>', example: 'submit --timeout 2h make -C sim > build.log' });
});
