// One grammar for every error the programs print for bad input (README "Errors"):
//   <program>: error: <what went wrong>; <what to do instead>.
// one line, lower-case after `error: `, no internal names, and every quoted hint that is a
// command works as printed. This suite makes each program print every such message it can
// (console parse errors of every command, coordinator refusals, jms_coord start-up errors,
// jms_console's own command line, jms_script.sh) and checks them all.

import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { findCommand } from '../../console/commands.js';
import { parseCoordArgs, UsageError } from '../../coord/config/options.js';
import { CONSOLE, COORD, run, SCRIPT, startCoord, submitted, type Coord } from '../helpers/coord.js';
import { waitFor } from '../helpers/wait.js';

const GRAMMAR = /^(jms_console|jms_coord|jms_script\.sh): error: ([^A-Z\s][^\n]*); ([^\n]+)\.$/;
/** Names of the code, not of the user's world: camelCase fields, error codes, stack frames. */
const INTERNAL = /\b(?:[a-z]+[A-Z]\w*|E_[A-Z_]+|undefined|NaN|TypeError|RangeError)\b|\bat \S+\.js:\d+|mkfifo|ENOENT|EACCES/;

interface Collected {
  source: string;
  line: string;
}

/** Every stderr line of a run, with where it came from. */
function lines(source: string, stderr: string): Collected[] {
  return stderr.split('\n').filter((l) => l !== '').map((line) => ({ source, line }));
}

/** The quoted parts of a message's hint (after its first '; ') that are commands: what a user would type. */
function quotedCommands(line: string): string[] {
  const hint = line.slice(line.indexOf('; ') + 2);
  return [...hint.matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '').filter((q) => /^(jms_console|jms_coord|jms_script\.sh|chmod|[a-z][a-z-]+)( |$)/.test(q));
}

async function hintWorks(t: Test, c: Coord, hint: string, where: string): Promise<void> {
  const [word = '', ...rest] = hint.split(' ');
  if (word === 'jms_coord') {
    let ok = true;
    try {
      parseCoordArgs(rest, '0');
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      ok = false;
    }
    t.ok(ok, `${where}: '${hint}' is a valid jms_coord command line`);
    return;
  }
  if (word === 'jms_script.sh') {
    const r = await run('bash', [SCRIPT, ...rest.map((a) => (a === 'jms_output' ? c.out : a))], { cwd: c.dir });
    t.equal(r.code, 0, `${where}: '${hint}' runs (${r.stderr.trim()})`);
    return;
  }
  if (word === 'chmod') {
    const r = await run('chmod', rest, { cwd: c.dir });
    t.equal(r.code, 0, `${where}: '${hint}' runs (${r.stderr.trim()})`);
    return;
  }
  if (word === 'jms_console') {
    const flags = rest.filter((a) => a.startsWith('-'));
    const r = await run(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, ...(flags.includes('--help') ? ['--help'] : rest)], { cwd: c.dir });
    t.ok(r.code === 0 || r.code === 1, `${where}: '${hint}' is a valid jms_console command line (${r.code}: ${r.stderr.trim()})`);
    t.notMatch(r.stderr, /error: (there is no option|unknown command)/, `${where}: '${hint}' is understood`);
    return;
  }
  const spec = findCommand(word);
  if (spec !== undefined && rest.length === 0 && 'error' in spec.parse('')) {
    t.pass(`${where}: '${hint}' names a command (a suggestion)`);
    return;
  }
  if (spec === undefined) {
    t.ok(['help', 'exit', 'quit', 'show-coordinator'].includes(word) || /^-/.test(word), `${where}: '${hint}' names a console command`);
    return;
  }
  const parsed = spec.parse(hint.slice(word.length));
  t.notOk('error' in parsed, `${where}: '${hint}' parses (${'error' in parsed ? parsed.error : 'ok'})`);
}

async function check(t: Test, c: Coord, all: readonly Collected[]): Promise<void> {
  const hints = new Map<string, string>();
  for (const { source, line } of all) {
    t.match(line, GRAMMAR, `${source}: ${line}`);
    t.notMatch(line, INTERNAL, `${source}: no internal names`);
    for (const q of quotedCommands(line)) hints.set(q, source);
  }
  for (const [hint, source] of hints) await hintWorks(t, c, hint, source);
}

/** Lines every console command refuses. */
const BAD_LINES = [
  'frobnicate', 'statu 1', 'help frobnicate',
  'submit', 'submit    ', 'submit --timeout', 'submit --timeout soon make', 'submit --timeout 0 make', 'submit --timeout 101d make',
  'submit --bogus make', 'submit -q echo hi', 'submit --timeout=', `submit ${'x'.repeat(140_000)}`,
  'status', 'status x', 'status 0', 'status 1 2', 'status 99999999999999999999',
  'info', 'info -1', 'suspend', 'suspend x y', 'resume', 'resume 1.5', 'kill', 'kill x',
  'status-all x', 'status-all 1 2', 'status-all -1',
  'logs', 'logs x', 'logs 3 4', 'logs 3 -n', 'logs 3 -n x', 'logs 3 --bogus', 'logs 3 -x',
  'wait', 'wait x', 'wait --all 3', 'wait 0',
  'show-active x', 'show-pools x', 'show-pools --short', 'show-finished x', 'show-queued x',
  'pause-all now', 'pause-all --for', 'pause-all --for soon', 'pause-all --for 200d', 'pause-all --for 1h extra',
  'resume-all x', 'shutdown now', 'shutdown --force',
  'submit --after x make', 'submit --after', 'submit --retries 101 make', 'submit --priority 1.5 make', 'submit --begin soon make',
  'submit --begin +400d make', 'submit --on-exit', "submit --on-exit 'echo x make",
  'submit-batch', 'submit-batch missing.yaml', 'submit-batch --dry x.yaml', 'submit-batch a.yaml b.yaml', 'show-batches x',
  'status-batch', 'status-batch a/b/c', 'kill-batch', 'kill-batch a b',
  'pull', 'pull a b', 'pull a --force', 'pull a --include (', 'pull a --to -', 'pull a --to',
  'export-log', 'export-log a --format csv', 'export-log a b', 'export-log a -n 3',
];

t.test('every error the console, the coordinator and jms_script.sh print for bad input', async (t) => {
  const c = await startCoord(t);
  const gate = join(c.dir, 'gate');
  const all: Collected[] = [];
  fs.writeFileSync(join(c.dir, 'x'), 'status-all\n');

  // Console parse errors of every command, piped and one-shot.
  const piped = await c.feed(BAD_LINES);
  const got = lines('piped', piped.stderr);
  t.equal(got.length, BAD_LINES.length, 'one line per bad line');
  all.push(...got);
  for (const line of ['status 1 --json', 'submit -q echo hi', 'wait 1 -q', 'status-all -o x']) {
    all.push(...lines(`one-shot '${line}'`, (await c.cmd(line)).stderr));
  }

  // Coordinator refusals.
  const done = submitted(await c.ok('submit true'));
  const runs = submitted(await c.ok(`submit while [ ! -e ${gate} ]; do sleep 0.05; done`));
  await waitFor('job 1 to finish', async () => (await c.ok(`status ${done.jobId}`)) === `JobID ${done.jobId} Status: Finished`);
  fs.writeFileSync(join(c.dir, 'bad.yaml'), 'name: b\njobs:\n  - name: a\n    command: ""\n');
  const badFile = lines('a bad batch file', (await c.cmd('submit-batch bad.yaml')).stderr);
  t.match(badFile[0]?.line, /^jms_console: error: bad\.yaml:4: jobs\[0\]\.command: /, 'a bad batch file: its mistake first');
  all.push(...badFile.slice(-1));
  for (const line of ['status-batch nope', 'pull nope', 'export-log nope', 'submit --after 99 true', 'status 99', `suspend ${done.jobId}`, `resume ${runs.jobId}`, `kill ${done.jobId}`, 'resume-all', 'info 42', 'wait 77', 'logs 99']) {
    const r = await c.cmd(line);
    t.equal(r.code, 1, `'${line}' fails`);
    all.push(...lines(`coordinator '${line}'`, r.stderr));
  }
  fs.writeFileSync(gate, '');
  await waitFor('job 2 to finish', async () => (await c.ok(`status ${runs.jobId}`)) === `JobID ${runs.jobId} Status: Finished`);
  const failing = submitted(await c.ok('submit exit 3'));
  all.push(...lines('wait on a failed job', (await c.cmd(`wait ${failing.jobId}`)).stderr));
  fs.rmSync(join(c.out, fs.readdirSync(c.out).find((n) => n.includes(`_${done.jobId}_`)) ?? 'none'), { recursive: true, force: true });
  all.push(...lines('logs of a purged job', (await c.cmd(`logs ${done.jobId}`)).stderr));

  // jms_console's own command line, and its set-up.
  const con = (args: string[]): Promise<{ stderr: string }> => run(process.execPath, [CONSOLE, ...args], { cwd: c.dir });
  const file = join(c.dir, 'ends.ops');
  fs.writeFileSync(file, 'exit\n');
  for (const args of [
    ['--bogus'], ['-w'], ['--json', '-q', 'status-all'], ['-o', join(c.dir, 'missing')],
    ['-w', join(c.dir, 'nope'), 'status-all'], ['-w', c.jmsIn, '-r', '/nonexistent/jms_out', 'status-all'],
    ['-w', join(c.dir, 'ends.ops'), 'status-all'], ['-w', c.jmsIn, '-r', c.jmsOut, '-o', file, 'status-all'],
  ]) {
    all.push(...lines(`jms_console ${args.join(' ')}`, (await con(args)).stderr));
  }

  // jms_coord start-up errors.
  fs.writeFileSync(join(c.dir, 'plain'), 'x');
  fs.mkdirSync(join(c.dir, 'open'), { mode: 0o777 });
  fs.chmodSync(join(c.dir, 'open'), 0o777);
  const coordCases = [
    ['-l', 'o1'], ['-n', '2'], ['-l', 'o1', '-n', '0'], ['-l', 'o1', '-n', 'abc'], ['-l', 'o1', '-n', '2', '--bogus'],
    ['-l', 'o1', '-n', '2', 'extra'], ['-l', 'o1', '-n', '2', '-r', 'x', '-w', './x'], ['-l', 'plain', '-n', '2'],
    ['-l', 'plain/sub', '-n', '2'], ['-l', 'o1', '-n', '2', '-r', 'plain'], ['-l', 'o1', '-n', '2', '-r', 'nodir/x_in'],
    ['-l', 'o1', '-n', '2', '--max-pools', '0'], ['-l', 'o1', '-n', '2', '--grace', 'soon'], ['-n', '2', '-l'],
    ['-l', c.out, '-n', '2', '-r', join(c.dir, 'x2_in'), '-w', join(c.dir, 'x2_out')],
    ['-l', 'o3', '-n', '2', '-r', c.jmsIn, '-w', join(c.dir, 'x3_out')],
    ['-l', 'open', '-n', '2', '-r', join(c.dir, 'x4_in'), '-w', join(c.dir, 'x4_out')],
  ];
  for (const args of coordCases) {
    const r = await run(process.execPath, [COORD, ...args], { cwd: c.dir, timeoutMs: 15_000 });
    t.not(r.code, 0, `jms_coord ${args.join(' ')} is refused`);
    all.push(...lines(`jms_coord ${args.join(' ')}`, r.stderr));
  }
  fs.mkdirSync(join(c.dir, 'loose'), { mode: 0o700 });
  fs.chmodSync(join(c.dir, 'loose'), 0o775);
  const loose = await run(process.execPath, [COORD, '-l', 'o5', '-n', '2'], { cwd: c.dir, env: { JMS_DIR: join(c.dir, 'loose') } });
  all.push(...lines('jms_coord with a group-writable JMS_DIR', loose.stderr));

  // jms_script.sh.
  for (const args of [
    [], ['-c', 'list'], ['-l', c.out], ['-l'], ['-l', c.out, '-c'], ['-l', c.out, '-c', 'remove'], ['-l', c.out, '-c', 'size', 'x'],
    ['-l', c.out, '-c', 'list', '-x'], ['-l', c.out, '-c', 'list', 'extra'], ['-l', c.out, '-l', c.out, '-c', 'list'],
    ['-l', c.out, '-c', 'list', '-c', 'purge'], ['-l', c.out, '-c', 'size', '--include-running'], ['-l', join(c.dir, 'none'), '-c', 'list'],
    ['-l', join(c.dir, 'plain'), '-c', 'list'],
  ]) {
    all.push(...lines(`jms_script.sh ${args.join(' ')}`, (await run('bash', [SCRIPT, ...args], { cwd: c.dir })).stderr));
  }

  t.ok(all.length > 100, `${all.length} messages collected`);
  await check(t, c, all);

  // --json errors carry the same sentence.
  const json = await run(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, '--json'], { cwd: c.dir, input: BAD_LINES.slice(0, 20).join('\n') });
  for (const l of json.stderr.split('\n').filter((x) => x !== '')) {
    const doc = JSON.parse(l) as unknown;
    const error = typeof doc === 'object' && doc !== null && 'error' in doc ? doc.error : null;
    const message = typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : '';
    t.match(`jms_console: error: ${message}`, GRAMMAR, `--json: ${l}`);
  }
});
