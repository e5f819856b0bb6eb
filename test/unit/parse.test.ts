// Unit tests for protocol/parse.ts: every message kind parses to its type, and every
// rejection is an `{ invalid: <one sentence> }` value, never a throw.

import t, { type Test } from 'tap';
import { MAX_COMMAND_BYTES } from '../../protocol/messages.js';
import { parseHello, parseReply, parseRequest, parseWelcome } from '../../protocol/parse.js';
import { parsePoolCommand, parsePoolEvent } from '../../protocol/pool-parse.js';

/** Asserts `got` is `{ invalid: <non-empty string> }` and nothing else; returns the reason. */
function rejects(t: Test, got: unknown, what: string): string {
  t.equal(typeof got, 'object', `${what}: an object`);
  t.not(got, null, `${what}: not null`);
  const keys = got !== null && typeof got === 'object' ? Object.keys(got) : [];
  t.strictSame(keys, ['invalid'], `${what}: only 'invalid'`);
  const reason = got !== null && typeof got === 'object' && 'invalid' in got ? got.invalid : undefined;
  t.equal(typeof reason, 'string', `${what}: reason is a string`);
  t.ok(typeof reason === 'string' && reason.trim().length > 0, `${what}: reason is not empty`);
  return typeof reason === 'string' ? reason : '';
}

const NOT_OBJECTS: readonly [string, unknown][] = [
  ['null', null],
  ['undefined', undefined],
  ['an array', [{ kind: 'shutdown', id: 1 }]],
  ['an empty array', []],
  ['a string', 'submit'],
  ['a number', 42],
  ['a boolean', true],
];

t.test('parseRequest: every kind, valid', async (t) => {
  const cases: readonly unknown[] = [
    { kind: 'submit', id: 1, command: 'sleep 1 && echo "done" | tr a-z A-Z' },
    { kind: 'submit', id: 1, command: 'make', cwd: '/src', env: { HOME: '/home/u' }, timeoutSec: 7200 },
    { kind: 'submit', id: 1, command: 'make', cwd: '/src', envKey: 'abc', timeoutSec: 1 },
    { kind: 'status', id: 2, jobId: 7 },
    { kind: 'status-all', id: 3, sinceSec: 60 },
    { kind: 'status-all', id: 4, sinceSec: 0 },
    { kind: 'show-active', id: 5 },
    { kind: 'show-pools', id: 6 },
    { kind: 'show-finished', id: 7 },
    { kind: 'suspend', id: 8, jobId: 1 },
    { kind: 'resume', id: 9, jobId: 2 },
    { kind: 'shutdown', id: 10 },
  ];
  for (const c of cases) t.strictSame(parseRequest(c), c, `parses ${JSON.stringify(c)}`);
  t.strictSame(parseRequest({ kind: 'shutdown', id: 0 }), { kind: 'shutdown', id: 0 }, 'id 0 is allowed');
  t.strictSame(parseRequest({ kind: 'show-active', id: Number.MAX_SAFE_INTEGER }),
    { kind: 'show-active', id: Number.MAX_SAFE_INTEGER }, 'the largest safe id is allowed');
});

t.test('parseRequest: extra fields are dropped', async (t) => {
  t.strictSame(parseRequest({ kind: 'shutdown', id: 1, mode: 'now', extra: [1] }), { kind: 'shutdown', id: 1 });
  t.strictSame(parseRequest({ kind: 'status', id: 1, jobId: 3, command: 'x' }), { kind: 'status', id: 1, jobId: 3 });
});

t.test('parseRequest: not an object', async (t) => {
  for (const [name, v] of NOT_OBJECTS) {
    const reason = rejects(t, parseRequest(v), name);
    t.match(reason, /must be a JSON object/, `${name}: says what it must be`);
  }
});

t.test('parseRequest: cancel names the request to forget', async (t) => {
  t.strictSame(parseRequest({ kind: 'cancel', id: 9, requestId: 4 }), { kind: 'cancel', id: 9, requestId: 4 });
  t.match(rejects(t, parseRequest({ kind: 'cancel', id: 9 }), 'no requestId'), /'requestId'/);
  t.match(rejects(t, parseRequest({ kind: 'cancel', id: 9, requestId: -1 }), 'negative requestId'), /'requestId'/);
  t.strictSame(parseRequest({ kind: 'show-pools', id: 2, long: true }), { kind: 'show-pools', id: 2, long: true }, 'show-pools --long');
  t.strictSame(parseRequest({ kind: 'show-pools', id: 2, long: false }), { kind: 'show-pools', id: 2 }, 'show-pools, long false');
});

t.test('parseRequest: kind', async (t) => {
  const unknown = rejects(t, parseRequest({ kind: 'forget', id: 1, jobId: 1 }), 'unknown kind');
  t.match(unknown, /'kind'/, 'the reason names the kind field');
  t.match(unknown, /submit/, 'and lists the known kinds');
  rejects(t, parseRequest({ id: 1 }), 'missing kind');
  rejects(t, parseRequest({ kind: null, id: 1 }), 'null kind');
  rejects(t, parseRequest({ kind: 7, id: 1 }), 'numeric kind');
  rejects(t, parseRequest({ kind: 'SUBMIT', id: 1, command: 'x' }), 'kind is case-sensitive');
  rejects(t, parseRequest({ kind: ['submit'], id: 1, command: 'x' }), 'kind in an array');
});

t.test('parseRequest: id', async (t) => {
  const bad: readonly [string, unknown][] = [
    ['missing', undefined],
    ['null', null],
    ['negative', -1],
    ['float', 1.5],
    ['string', '1'],
    ['boolean', true],
    ['NaN-like huge', 1e300],
    ['unsafe integer', Number.MAX_SAFE_INTEGER + 1],
    ['object', { n: 1 }],
  ];
  for (const [name, id] of bad) {
    const msg = id === undefined ? { kind: 'shutdown' } : { kind: 'shutdown', id };
    const reason = rejects(t, parseRequest(msg), `id ${name}`);
    t.match(reason, /'id'/, `id ${name}: the reason names 'id'`);
  }
  t.match(rejects(t, parseRequest({ kind: 'shutdown', id: -1 }), 'negative'), /between 0 and/,
    'a negative id says the allowed range');
  t.match(rejects(t, parseRequest({ kind: 'shutdown', id: 2.5 }), 'float'), /whole number/,
    'a float id says it must be whole');
});

t.test('parseRequest: jobId', async (t) => {
  for (const kind of ['status', 'suspend', 'resume'] as const) {
    for (const [name, jobId] of [['0', 0], ['"3"', '3'], ['-2', -2], ['1.5', 1.5], ['null', null]] as const) {
      const reason = rejects(t, parseRequest({ kind, id: 1, jobId }), `${kind} jobId ${name}`);
      t.match(reason, /'jobId'/, `${kind} jobId ${name}: names jobId`);
    }
    rejects(t, parseRequest({ kind, id: 1 }), `${kind} without jobId`);
  }
  t.match(rejects(t, parseRequest({ kind: 'status', id: 1, jobId: 0 }), 'jobId 0'), /between 1 and/);
});

t.test('parseRequest: submit command', async (t) => {
  const empty = rejects(t, parseRequest({ kind: 'submit', id: 1, command: '' }), 'empty command');
  t.match(empty, /submit needs a job/);
  rejects(t, parseRequest({ kind: 'submit', id: 1, command: '   \t\n ' }), 'whitespace command');
  rejects(t, parseRequest({ kind: 'submit', id: 1 }), 'missing command');
  rejects(t, parseRequest({ kind: 'submit', id: 1, command: 'x', cwd: 'relative/dir' }), 'a relative cwd');
  rejects(t, parseRequest({ kind: 'submit', id: 1, command: 'x', env: { 'A=B': 'c' } }), "an env name with '='");
  rejects(t, parseRequest({ kind: 'submit', id: 1, command: 'x', timeoutSec: 0 }), 'timeout 0');
  rejects(t, parseRequest({ kind: 'submit', id: 1, command: null }), 'null command');
  rejects(t, parseRequest({ kind: 'submit', id: 1, command: ['ls'] }), 'array command');
  t.match(rejects(t, parseRequest({ kind: 'submit', id: 1, command: 42 }), 'numeric command'), /'command'/);

  const nul = rejects(t, parseRequest({ kind: 'submit', id: 1, command: 'echo a\0b' }), 'NUL in command');
  t.match(nul, /NUL/, 'the reason mentions NUL');

  const atLimit = 'x'.repeat(MAX_COMMAND_BYTES);
  t.strictSame(parseRequest({ kind: 'submit', id: 1, command: atLimit }), { kind: 'submit', id: 1, command: atLimit },
    'a command of exactly MAX_COMMAND_BYTES is accepted');
  const over = rejects(t, parseRequest({ kind: 'submit', id: 1, command: `${atLimit}x` }), 'command over the limit');
  t.match(over, /'command'/, 'names the command field');
  t.match(over, new RegExp(String(MAX_COMMAND_BYTES)), 'says the limit');

  // The limit is in bytes: 'é' is two bytes in UTF-8.
  const wide = 'é'.repeat(Math.floor(MAX_COMMAND_BYTES / 2) + 1);
  t.ok(wide.length < MAX_COMMAND_BYTES, 'fewer characters than the limit');
  rejects(t, parseRequest({ kind: 'submit', id: 1, command: wide }), 'command over the limit in bytes');

  t.strictSame(parseRequest({ kind: 'submit', id: 1, command: ' ls ' }), { kind: 'submit', id: 1, command: ' ls ' },
    'the command is kept as sent, not trimmed');
  t.strictSame(parseRequest({ kind: 'submit', id: 1, command: 'echo 😀 €' }),
    { kind: 'submit', id: 1, command: 'echo 😀 €' }, 'non-ASCII commands are fine');
});

t.test('parseRequest: status-all sinceSec', async (t) => {
  t.strictSame(parseRequest({ kind: 'status-all', id: 1 }), { kind: 'status-all', id: 1, sinceSec: null },
    'missing → null');
  t.strictSame(parseRequest({ kind: 'status-all', id: 1, sinceSec: null }), { kind: 'status-all', id: 1, sinceSec: null },
    'null → null');
  const neg = rejects(t, parseRequest({ kind: 'status-all', id: 1, sinceSec: -5 }), 'negative sinceSec');
  t.match(neg, /'sinceSec'/, 'names sinceSec');
  rejects(t, parseRequest({ kind: 'status-all', id: 1, sinceSec: 1.5 }), 'float sinceSec');
  rejects(t, parseRequest({ kind: 'status-all', id: 1, sinceSec: '60' }), 'string sinceSec');
});

t.test('parseRequest never throws on odd input', async (t) => {
  const odd: readonly unknown[] = [
    Object.create(null) as unknown,
    { kind: 'submit', id: 1, command: 'x', __proto__: { id: 2 } },
    JSON.parse('{"__proto__":{"kind":"shutdown","id":1}}') as unknown,
    { kind: { toString: () => 'submit' }, id: 1 },
    new Date(0),
    () => 1,
  ];
  for (const v of odd) {
    t.doesNotThrow(() => parseRequest(v), `no throw for ${String(typeof v)}`);
  }
  rejects(t, parseRequest(JSON.parse('{"__proto__":{"kind":"shutdown","id":1}}')), 'fields in __proto__ do not count');
});

t.test('parseHello', async (t) => {
  const hello = { kind: 'hello', version: 1, pid: 1234, requestFifo: '/tmp/jms_in.1234', replyFifo: '/tmp/jms_out.1234' };
  t.strictSame(parseHello(hello), hello, 'valid hello');
  t.strictSame(parseHello({ ...hello, extra: 1 }), hello, 'extra fields dropped');

  for (const [name, v] of NOT_OBJECTS) rejects(t, parseHello(v), `hello ${name}`);
  t.match(rejects(t, parseHello({ ...hello, kind: 'welcome' }), 'wrong kind'), /hello/);
  rejects(t, parseHello({ ...hello, kind: undefined }), 'missing kind');
  t.match(rejects(t, parseHello({ ...hello, pid: 0 }), 'pid 0'), /'pid'/);
  rejects(t, parseHello({ ...hello, pid: -1 }), 'negative pid');
  rejects(t, parseHello({ ...hello, version: '1' }), 'string version');
  rejects(t, parseHello({ ...hello, version: 1.1 }), 'float version');
  t.match(rejects(t, parseHello({ ...hello, requestFifo: 5 }), 'numeric requestFifo'), /'requestFifo'/);
  rejects(t, parseHello({ ...hello, replyFifo: undefined }), 'missing replyFifo');
  t.match(rejects(t, parseHello({ ...hello, replyFifo: `/${'a'.repeat(5000)}` }), 'too long'), /'replyFifo'/);
});

t.test('parseWelcome', async (t) => {
  const welcome = { kind: 'welcome', version: 1, coordPid: 99, jobsPool: 4, maxPools: 16, outDir: '/srv/jms' };
  const refused = { kind: 'refused', version: 2, message: 'This console speaks protocol 1; the coordinator speaks 2.' };
  t.strictSame(parseWelcome(welcome), welcome);
  t.strictSame(parseWelcome(refused), refused);
  t.strictSame(parseWelcome({ ...refused, coordPid: 3 }), refused, 'refused carries no coordPid');

  for (const [name, v] of NOT_OBJECTS) rejects(t, parseWelcome(v), `welcome ${name}`);
  rejects(t, parseWelcome({ ...welcome, kind: 'hello' }), 'wrong kind');
  t.match(rejects(t, parseWelcome({ ...welcome, jobsPool: 0 }), 'jobsPool 0'), /'jobsPool'/);
  rejects(t, parseWelcome({ ...welcome, coordPid: 0 }), 'coordPid 0');
  t.match(rejects(t, parseWelcome({ ...welcome, outDir: undefined }), 'no outDir'), /'outDir'/);
  t.match(rejects(t, parseWelcome({ ...welcome, maxPools: 0 }), 'maxPools 0'), /'maxPools'/);
  rejects(t, parseWelcome({ kind: 'refused', version: 1 }), 'refused without message');
  rejects(t, parseWelcome({ kind: 'welcome', version: 1, jobsPool: 4 }), 'welcome without coordPid');
});

/** The job-view fields beyond the classic ones, as a queued job has them. */
const NOT_STARTED = {
  poolPid: null, dir: null, startedAt: null, endedAt: null, timeoutSec: null, cwd: null, origin: null, pause: null, host: null, needs: [], waiting: null,
  batch: null, name: null, kind: 'job', after: [], retries: 0, attempts: [], priority: 0, beginAt: null, hooks: [], archive: null,
};
const runningJob = {
  jobId: 3, status: 'active', command: 'sleep 10', pid: 4321, runningForSec: 12, submittedAt: 1700000000000, result: null,
  ...NOT_STARTED, poolPid: 4000, dir: '/out/jms_u_3_4321_20261121_120000', startedAt: 1700000000500, timeoutSec: 60,
  cwd: '/home/u', origin: { user: 'u', host: 'h', consolePid: 77 }, pause: { until: 1700000009000 }, host: 'local', needs: ['gpu'], waiting: null,
};
const queuedJob = {
  jobId: 4, status: 'queued', command: 'true', pid: null, runningForSec: null, submittedAt: 1700000000001, result: null,
  ...NOT_STARTED,
};
const runningBrief = { jobId: 3, status: 'active', runningForSec: 12, outcome: null };
const results = [
  { kind: 'exited', code: 0 },
  { kind: 'exited', code: 255 },
  { kind: 'signalled', signal: 'SIGKILL' },
  { kind: 'start-failed', reason: 'spawn /bin/sh ENOENT' },
  { kind: 'lost', reason: 'its pool died' },
  { kind: 'cancelled', reason: 'the coordinator shut down' },
  { kind: 'timed-out', signal: 'SIGTERM', code: null, afterSec: 1 },
  { kind: 'timed-out', signal: null, code: 143, afterSec: 3600 },
  { kind: 'dependency-failed', jobId: 2, outcome: 'lost' },
  { kind: 'archive-failed', reason: 'h1 could not be reached' },
] as const;
/** A batch job that ran twice, with a hook and its archive. */
const batchJob = {
  ...runningJob, status: 'finished', runningForSec: null, result: { kind: 'exited', code: 0 }, endedAt: 1700000001000,
  batch: 'alice/sweep-1', name: 'solve[re=100]', kind: 'job', after: [2], retries: 1, priority: -3, beginAt: 1700000000000,
  attempts: [{ host: 'h1', dir: '/srv/jms/a', startedAt: 1700000000100, endedAt: 1700000000200, result: { kind: 'exited', code: 1 } }],
  hooks: [{ when: 'failed', command: 'mail -s x', state: 'done', how: 'exit code 0', log: '/out/.jms/hooks/job_3_0.log' }],
  archive: '/out/archive/alice/sweep-1/solve[re=100]',
};

t.test('parseReply: every kind, valid', async (t) => {
  const cases: readonly unknown[] = [
    { kind: 'submitted', id: 1, jobId: 1, pid: 100 },
    { kind: 'queued', id: 2, jobId: 2, position: 1 },
    { kind: 'status', id: 3, job: runningJob },
    { kind: 'status', id: 3, job: queuedJob },
    { kind: 'signalled', id: 4, jobId: 3, action: 'suspend' },
    { kind: 'signalled', id: 5, jobId: 3, action: 'resume' },
    { kind: 'served', id: 6, served: 10, inProgress: 0 },
    { kind: 'job', id: 7, job: runningBrief },
    { kind: 'job', id: 7, job: { ...runningBrief, status: 'suspended' } },
    { kind: 'job', id: 7, job: { jobId: 4, status: 'finished', runningForSec: null, outcome: 'killed' } },
    { kind: 'info', id: 3, job: runningJob },
    { kind: 'detail', id: 3, job: queuedJob },
    { kind: 'detail', id: 3, job: batchJob },
    { kind: 'signalled', id: 5, jobId: 3, action: 'kill' },
    { kind: 'dequeued', id: 5, jobId: 3 },
    { kind: 'paused', id: 5, jobs: 2, until: null },
    { kind: 'paused', id: 5, jobs: 0, until: 1700000000000 },
    { kind: 'resumed-all', id: 5, jobs: 2 },
    { kind: 'pool', id: 8, pool: { pid: 555, jobs: 0, host: 'h1' } },
    { kind: 'pool', id: 8, pool: { pid: 556, jobs: 0, host: 'local', long: { taken: 0, capacity: 3, spare: true } } },
    { kind: 'end', id: 9, count: 0 },
    { kind: 'error', id: 10, code: 'E_UNKNOWN_JOB', message: "There is no job with JobID 9; 'status-all' lists the known jobs." },
  ];
  for (const c of cases) t.strictSame(parseReply(c), c, `parses ${JSON.stringify(c)}`);

  for (const code of ['E_BAD_REQUEST', 'E_TOO_LARGE', 'E_UNKNOWN_JOB', 'E_ILLEGAL_STATE', 'E_SHUTTING_DOWN', 'E_POOL', 'E_INTERNAL']) {
    const e = { kind: 'error', id: 1, code, message: 'Something went wrong.' };
    t.strictSame(parseReply(e), e, `error code ${code}`);
  }
});

t.test('parseReply: nested job views and results', async (t) => {
  for (const result of results) {
    const job = { ...runningJob, status: 'finished', runningForSec: null, result };
    t.strictSame(parseReply({ kind: 'status', id: 1, job }), { kind: 'status', id: 1, job }, `status, ${result.kind}`);
  }
  // Missing optional-as-null fields come back as null.
  const sparse = { jobId: 5, status: 'queued', command: 'x', submittedAt: 0 };
  t.strictSame(parseReply({ kind: 'status', id: 1, job: sparse }),
    { kind: 'status', id: 1, job: { ...sparse, pid: null, runningForSec: null, result: null, ...NOT_STARTED } }, 'missing nullables → null');

  const bad: readonly [string, unknown][] = [
    ['job not an object', 'job 3'],
    ['job null', null],
    ['jobId 0', { ...runningJob, jobId: 0 }],
    ['unknown status', { ...runningJob, status: 'running' }],
    ['pid 0', { ...runningJob, pid: 0 }],
    ['negative runningForSec', { ...runningJob, runningForSec: -1 }],
    ['float submittedAt', { ...runningJob, submittedAt: 1.5 }],
    ['command missing', { ...runningJob, command: undefined }],
    ['result not an object', { ...runningJob, result: 'exited' }],
    ['result unknown kind', { ...runningJob, result: { kind: 'crashed' } }],
    ['exit code 256', { ...runningJob, result: { kind: 'exited', code: 256 } }],
    ['exit code -1', { ...runningJob, result: { kind: 'exited', code: -1 } }],
    ['signalled without signal', { ...runningJob, result: { kind: 'signalled' } }],
    ['lost without reason', { ...runningJob, result: { kind: 'lost' } }],
  ];
  for (const [name, job] of bad) rejects(t, parseReply({ kind: 'status', id: 1, job }), `status: ${name}`);
  t.match(rejects(t, parseReply({ kind: 'status', id: 1, job: { ...runningJob, status: 'running' } }), 'status'), /'status'/,
    'names the status field');
  // List items carry the brief form: id, status, seconds, and how it ended.
  const badBriefs: readonly [string, unknown][] = [
    ['jobId 0', { ...runningBrief, jobId: 0 }],
    ['unknown status', { ...runningBrief, status: 'running' }],
    ['unknown outcome', { ...runningBrief, outcome: 'crashed' }],
    ['outcome not a string', { ...runningBrief, outcome: true }],
    ['negative runningForSec', { ...runningBrief, runningForSec: -1 }],
  ];
  for (const [name, job] of badBriefs) rejects(t, parseReply({ kind: 'job', id: 1, job }), `job: ${name}`);
  t.match(rejects(t, parseReply({ kind: 'job', id: 1 }), 'no job'), /'job'/, 'a missing job names the field');
});

t.test('parseReply: rejections', async (t) => {
  for (const [name, v] of NOT_OBJECTS) rejects(t, parseReply(v), `reply ${name}`);
  rejects(t, parseReply({ kind: 'ok', id: 1 }), 'unknown kind');
  rejects(t, parseReply({ kind: 'end', count: 1 }), 'missing id');
  rejects(t, parseReply({ kind: 'end', id: -1, count: 1 }), 'negative id');
  const code = rejects(t, parseReply({ kind: 'error', id: 1, code: 'E_NOPE', message: 'x' }), 'unknown error code');
  t.match(code, /'code'/, 'names the code field');
  rejects(t, parseReply({ kind: 'error', id: 1, code: 'e_bad_request', message: 'x' }), 'lower-case error code');
  rejects(t, parseReply({ kind: 'error', id: 1, message: 'x' }), 'error without code');
  rejects(t, parseReply({ kind: 'error', id: 1, code: 'E_POOL' }), 'error without message');
  rejects(t, parseReply({ kind: 'submitted', id: 1, jobId: 1, pid: 0 }), 'submitted pid 0');
  rejects(t, parseReply({ kind: 'submitted', id: 1, jobId: 0, pid: 1 }), 'submitted jobId 0');
  rejects(t, parseReply({ kind: 'queued', id: 1, jobId: 1, position: 0 }), 'queued position 0');
  rejects(t, parseReply({ kind: 'signalled', id: 1, jobId: 1, action: 'stop' }), 'unknown action');
  rejects(t, parseReply({ kind: 'served', id: 1, served: 1 }), 'served without inProgress');
  rejects(t, parseReply({ kind: 'pool', id: 1, pool: { pid: 0, jobs: 1 } }), 'pool pid 0');
  rejects(t, parseReply({ kind: 'pool', id: 1, pool: { pid: 1, jobs: -1 } }), 'pool negative jobs');
  rejects(t, parseReply({ kind: 'pool', id: 1, pool: [1, 2] }), 'pool as an array');
  rejects(t, parseReply({ kind: 'pool', id: 1, pool: { pid: 1, jobs: 0, long: { taken: 0, capacity: 3, spare: 'yes' } } }), 'pool spare not a boolean');
  rejects(t, parseReply({ kind: 'end', id: 1, count: '3' }), 'string count');
});

const CONFIG = {
  kind: 'config', capacity: 4, outDir: '/tmp/jms', outDirId: { dev: 2049, ino: 77 }, user: 'alice', graceMs: 5000,
  key: 'mx4v81rq-8cecfc-1', ledgerDir: '/tmp/jms/.jms/pools', leaseMs: null, heartbeatMs: null,
} as const;

t.test('parsePoolCommand', async (t) => {
  const valid: readonly unknown[] = [
    CONFIG,
    { ...CONFIG, capacity: 1, outDir: '/', user: '', graceMs: 0, outDirId: null, leaseMs: 60_000, heartbeatMs: 1000 },
    { kind: 'retire' },
    { kind: 'terminate' },
    { kind: 'release' },
    { kind: 'ping', seq: 7 },
    { kind: 'run', jobId: 1, command: 'echo hi' },
    { kind: 'run', jobId: 1, command: 'echo hi', cwd: '/home/u', envKey: 'k1' },
    { kind: 'env', key: 'k1', env: { PATH: '/bin', EMPTY: '' } },
    { kind: 'signal', jobId: 2, signal: 'SIGSTOP' },
    { kind: 'signal', jobId: 2, signal: 'SIGCONT' },
    { kind: 'signal', jobId: 2, signal: 'SIGTERM' },
    { kind: 'signal', jobId: 2, signal: 'SIGKILL' },
  ];
  for (const c of valid) t.strictSame(parsePoolCommand(c), c, `parses ${JSON.stringify(c)}`);

  for (const [name, v] of NOT_OBJECTS) rejects(t, parsePoolCommand(v), `pool command ${name}`);
  rejects(t, parsePoolCommand({ kind: 'exit' }), 'unknown kind');
  const sig = rejects(t, parsePoolCommand({ kind: 'signal', jobId: 2, signal: 'SIGHUP' }), 'bad signal name');
  t.match(sig, /'signal'/, 'names the signal field');
  t.match(sig, /SIGSTOP/, 'lists the allowed signals');
  rejects(t, parsePoolCommand({ kind: 'signal', jobId: 2, signal: 'sigkill' }), 'lower-case signal');
  rejects(t, parsePoolCommand({ kind: 'signal', jobId: 2, signal: 9 }), 'numeric signal');
  rejects(t, parsePoolCommand({ kind: 'signal', jobId: 0, signal: 'SIGKILL' }), 'jobId 0');
  rejects(t, parsePoolCommand({ kind: 'run', jobId: 1 }), 'run without command');
  rejects(t, parsePoolCommand({ kind: 'env', key: 'k', env: { A: 1 } }), 'env with a non-string value');
  rejects(t, parsePoolCommand({ kind: 'env', key: 'k', env: ['A=1'] }), 'env as an array');
  rejects(t, parsePoolCommand({ kind: 'env', env: {} }), 'env without a key');
  rejects(t, parsePoolCommand({ kind: 'run', jobId: 1, command: 'x', envKey: 'k'.repeat(65) }), 'envKey too long');
  rejects(t, parsePoolCommand({ kind: 'run', jobId: 1, command: 'x'.repeat(MAX_COMMAND_BYTES + 1) }), 'run command too long');
  rejects(t, parsePoolCommand({ ...CONFIG, capacity: 0 }), 'capacity 0');
  rejects(t, parsePoolCommand({ ...CONFIG, graceMs: -1 }), 'negative grace');
  const { user: _user, ...noUser } = CONFIG;
  rejects(t, parsePoolCommand(noUser), 'config without user');
  rejects(t, parsePoolCommand({ ...CONFIG, outDir: `/${'d'.repeat(5000)}` }), 'outDir longer than PATH_MAX');
  t.match(rejects(t, parsePoolCommand({ ...CONFIG, key: '../x' }), 'a key that is not a pool key'), /'key'/);
  rejects(t, parsePoolCommand({ ...CONFIG, heartbeatMs: 0 }), 'heartbeat 0');
  rejects(t, parsePoolCommand({ ...CONFIG, outDirId: { dev: 1 } }), 'outDirId without ino');
  rejects(t, parsePoolCommand({ kind: 'ping' }), 'ping without seq');
});

t.test('parsePoolEvent', async (t) => {
  const valid: readonly unknown[] = [
    { kind: 'ready', pid: 10, key: 'k-1' },
    { kind: 'pong', seq: 3 },
    { kind: 'state', key: 'k-1', pid: 10, jobs: [] },
    {
      kind: 'state', key: 'k-1', pid: 10, jobs: [
        { jobId: 1, starting: true, started: { pid: 11, dir: '/d', at: 4 }, end: { kind: 'exited', code: 2, signal: null, at: 9 }, expiredAt: null },
        { jobId: 2, starting: true, started: null, end: { kind: 'start-failed', reason: 'no cwd', at: 5 }, expiredAt: null },
        { jobId: 3, starting: false, started: null, end: null, expiredAt: 7 },
      ],
    },
    { kind: 'started', jobId: 1, pid: 11, dir: '/tmp/jms/job_1', at: 1700000000000 },
    { kind: 'start-failed', jobId: 1, reason: 'spawn EACCES' },
    { kind: 'signalled', jobId: 1, signal: 'SIGSTOP', error: null },
    { kind: 'signalled', jobId: 1, signal: 'SIGTERM', error: 'kill ESRCH' },
    { kind: 'exited', jobId: 1, code: 0, signal: null, at: 5 },
    { kind: 'exited', jobId: 1, code: null, signal: 'SIGKILL', at: 5 },
    { kind: 'bye', served: 3 },
  ];
  for (const c of valid) t.strictSame(parsePoolEvent(c), c, `parses ${JSON.stringify(c)}`);
  t.strictSame(parsePoolEvent({ kind: 'signalled', jobId: 1, signal: 'SIGCONT' }),
    { kind: 'signalled', jobId: 1, signal: 'SIGCONT', error: null }, 'missing error → null');
  t.strictSame(parsePoolEvent({ kind: 'exited', jobId: 1, at: 5 }),
    { kind: 'exited', jobId: 1, code: null, signal: null, at: 5 }, 'missing code and signal → null');

  for (const [name, v] of NOT_OBJECTS) rejects(t, parsePoolEvent(v), `pool event ${name}`);
  rejects(t, parsePoolEvent({ kind: 'hello', pid: 1 }), 'unknown kind');
  t.match(rejects(t, parsePoolEvent({ kind: 'signalled', jobId: 1, signal: 'SIGUSR1', error: null }), 'bad signal'),
    /'signal'/, 'a bad signal names the field');
  rejects(t, parsePoolEvent({ kind: 'ready', pid: 0, key: 'k' }), 'ready pid 0');
  rejects(t, parsePoolEvent({ kind: 'state', key: 'k', pid: 3, jobs: {} }), 'state with jobs not a list');
  rejects(t, parsePoolEvent({ kind: 'state', key: 'k', pid: 3, jobs: [{ jobId: 1, starting: 'yes' }] }), 'state with a bad trace');
  rejects(t, parsePoolEvent({ kind: 'started', jobId: 1, pid: 11, at: 1 }), 'started without dir');
  rejects(t, parsePoolEvent({ kind: 'started', jobId: 1, pid: 11, dir: '/x', at: -1 }), 'started at negative');
  rejects(t, parsePoolEvent({ kind: 'start-failed', jobId: 1 }), 'start-failed without reason');
  rejects(t, parsePoolEvent({ kind: 'signalled', jobId: 1, signal: 'SIGTERM', error: 5 }), 'numeric error');
  rejects(t, parsePoolEvent({ kind: 'exited', jobId: 1, code: -1, signal: null, at: 1 }), 'negative exit code');
  rejects(t, parsePoolEvent({ kind: 'exited', jobId: 1, code: 0, signal: 15, at: 1 }), 'numeric exit signal');
  rejects(t, parsePoolEvent({ kind: 'exited', jobId: 1, code: 0, signal: null }), 'exited without at');
  rejects(t, parsePoolEvent({ kind: 'bye' }), 'bye without served');
  rejects(t, parsePoolEvent({ kind: 'bye', served: 1.5 }), 'bye with fractional served');
});
