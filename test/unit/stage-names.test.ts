// Unit tests for the file plumbing's pure rules: the run frame's `inJobDir` and `stage`
// on the wire (protocol/pool-parse.ts), relative names inside a job directory
// (protocol/stage.ts), and what a host may be asked to remove (coord/pools/transfer.ts).

import t from 'tap';
import { HostError } from '../../coord/pools/launcher.js';
import { checkArea, checkRemovable, hostRoots } from '../../coord/pools/transfer.js';
import { MAX_STAGE_ENTRIES, parsePoolCommand } from '../../protocol/pool-parse.js';
import { cleanRelative, fsProblem, relativeProblem } from '../../protocol/stage.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return null;
}

const RUN = { kind: 'run', jobId: 3, command: './solve.sh' };

t.test('a run frame carries inJobDir and stage', async (t) => {
  const stage = [{ src: '/data/case/base.msh', as: 'input.msh' }, { src: '/data/case dir', as: 'case/sub' }];
  t.strictSame(parsePoolCommand({ ...RUN, inJobDir: true, stage }), { ...RUN, inJobDir: true, stage });
  t.strictSame(parsePoolCommand({ ...RUN, inJobDir: false, stage: [] }), { ...RUN, stage: [] }, 'inJobDir: false is left out');
  t.strictSame(parsePoolCommand(RUN), RUN, 'both are optional');
  // `as` is checked by the pool, as the job's start failure, not by the parser: the job must not vanish.
  t.strictSame(parsePoolCommand({ ...RUN, stage: [{ src: 'rel', as: '../x' }] }), { ...RUN, stage: [{ src: 'rel', as: '../x' }] });
});

t.test('a run frame with a malformed stage is refused with one sentence', async (t) => {
  const bad: [string, unknown, RegExp][] = [
    ['not a list', { src: '/a', as: 'a' }, /'stage' must be a list/],
    ['an entry not an object', ['/a'], /each of 'stage' must be a JSON object/],
    ['no as', [{ src: '/a' }], /'as' must be a string/],
    ['no src', [{ as: 'a' }], /'src' must be a string/],
    ['a number', [{ src: 1, as: 'a' }], /'src' must be a string/],
    ['an extra key', [{ src: '/a', as: 'a', mode: 7 }], /only src and as, not 'mode'/],
    ['too long a path', [{ src: `/${'x'.repeat(5000)}`, as: 'a' }], /'src' is longer than 4095 bytes/],
    ['too many', Array.from({ length: MAX_STAGE_ENTRIES + 1 }, () => ({ src: '/a', as: 'a' })), /more than 1000 files/],
  ];
  for (const [what, stage, reason] of bad) {
    const got = parsePoolCommand({ ...RUN, stage });
    t.ok('invalid' in got, `${what}: refused`);
    if ('invalid' in got) t.match(got.invalid, reason, what);
  }
  const got = parsePoolCommand({ ...RUN, inJobDir: 'yes' });
  t.ok('invalid' in got && /'inJobDir' must be one of true, false/.test(got.invalid), 'inJobDir must be a boolean');
});

t.test('relative names: inside the directory, never up or absolute', async (t) => {
  const cases: [string, string | null][] = [
    ['input.msh', null], ['case/sub/x', null], ['./a', null], ['a//b/', null], ['..a', null], ['a..', null], ['with space', null],
    ['', 'is empty'], ['/etc/passwd', 'is an absolute path'], ['..', "goes up with '..'"], ['a/../../b', "goes up with '..'"],
    ['a/..', "goes up with '..'"], ['.', 'names the directory itself'], ['./', 'names the directory itself'], ['a\0b', 'contains a NUL byte'],
  ];
  for (const [p, want] of cases) t.equal(relativeProblem(p), want, JSON.stringify(p));
  t.equal(cleanRelative('./a//b/./c/'), 'a/b/c');
  t.equal(checkArea('alice/sweep-1/3'), 'alice/sweep-1/3');
  const err = thrown(() => checkArea('alice/../bob'));
  t.type(err, HostError);
  t.equal(err instanceof Error ? err.message : '', "the staging area 'alice/../bob' goes up with '..'; give a relative name such as alice/sweep-1/3");
});

t.test('errno messages become a plain clause', async (t) => {
  const err = Object.assign(new Error("ENOENT: no such file or directory, lstat '/data/x'"), { code: 'ENOENT' });
  t.equal(fsProblem(err), 'no such file or directory');
  t.equal(fsProblem(new Error('Cannot copy a FIFO pipe: cp returned EINVAL (cannot copy a FIFO pipe) /x')), 'cannot copy a FIFO pipe');
  t.equal(fsProblem('something else'), 'something else');
});

t.test('remove: strictly inside the job-directory or staging root, never .jms', async (t) => {
  const roots = hostRoots('/srv/jms/run/');
  t.strictSame(roots, { jobs: '/srv/jms/run', stage: '/srv/jms/run/.jms-stage' });
  const ok = ['/srv/jms/run/jms_root_3_77_20250101_101010', '/srv/jms/run/.jms-stage/alice/sweep-1', '/srv/jms/run/x/'];
  t.strictSame(checkRemovable(roots, ok, 'h1'), ['/srv/jms/run/jms_root_3_77_20250101_101010', '/srv/jms/run/.jms-stage/alice/sweep-1', '/srv/jms/run/x']);
  const refused: [string, RegExp][] = [
    ['/srv/jms/run', /not inside \/srv\/jms\/run \(job directories\)/],
    ['/srv/jms/runner/x', /not inside/],
    ['/srv/jms/other', /not inside/],
    ['/etc', /not inside/],
    ['/srv/jms/run/../other', /not a plain absolute path/],
    ['/srv/jms/run/./x', /not a plain absolute path/],
    ['/srv/jms/run//x', /not a plain absolute path/],
    ['srv/jms/run/x', /not a plain absolute path/],
    ['/srv/jms/run/.jms', /holds JMS's own state/],
    ['/srv/jms/run/.jms/pools', /holds JMS's own state/],
    ['/srv/jms/run/.jms-stage', /the whole staging root/],
  ];
  for (const [p, why] of refused) {
    const err = thrown(() => checkRemovable(roots, [ok[0] ?? '', p], 'h1'));
    t.type(err, HostError, `${p}: a HostError`);
    t.ok(err instanceof Error && err.message.startsWith(`refusing to remove ${p} on h1: `), `${p}: names the path and host`);
    t.match(err instanceof Error ? err.message : '', why, p);
  }
});
