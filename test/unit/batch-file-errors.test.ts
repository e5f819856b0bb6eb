// Unit tests for console/batch-file.ts, its refusals: every kind of mistake in a batch file,
// each with its line, field path and wording, all of them collected in one answer in the
// order of their lines. Staged files are looked up on a real test directory.

import { statSync } from 'node:fs';
import t, { type Test } from 'tap';
import { type Exists, parseBatchFile } from '../../console/batch-file.js';

const exists: Exists = (p) => {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
};

function site(t: Test): string {
  return t.testdir({ case: { 'base.msh': 'mesh\n', 'notes.txt': 'n\n' } });
}

function errors(dir: string, text: string): string[] {
  const got = parseBatchFile(text, 'sweep.yaml', dir, exists);
  return 'errors' in got ? got.errors : ['(accepted)'];
}

t.test('a file with a mistake of every kind in the batch and its jobs', async (t) => {
  const dir = site(t);
  const text = `name: sweep/1
namespace: a/b
needs: [gpu, "big gpu"]
notify: ""
defaults: {timeout: 2 hours, retry: 1, priority: 2000}
build: [make]
save: ../out
keep: yes
windows: mon-fry
on_exit: {sucess: x}
jobz: []
jobs:
  - name: mesh
    command: "./mesh.sh"
    after: solve
    files: [case/nothere.msh, {path: case/base.msh, as: ../x}, {as: y}, case/notes.txt, {path: case/notes.txt}]
    on_exit: {failed: "echo f", timeout: "echo t", 300: x, 1: a, "1": b}
    retries: 101
    timeout: 0
    begin: tomorrow
  - name: solve
    command: "./solve.sh {re} {grid}"
    after: [mesh, mash]
    matrix: {re: [100, 100], grid: []}
  - name: mesh
    comand: x
  - name: post
    command: "p {a}"
    matrix: {a: [1], b: [2], "bad-key": [3], c: x, d: [[1]], e: ["x\\ny"]}
`;
  t.strictSame(errors(dir, text), [
    "sweep.yaml:1: name: must be a name (letters, digits, '.', '_' and '-', starting with a letter or digit), not 'sweep/1'.",
    "sweep.yaml:2: namespace: must be a namespace (letters, digits, '.', '_' and '-', starting with a letter or digit; no '/'), not 'a/b'.",
    "sweep.yaml:3: needs[1]: must be a tag (letters, digits, '.', '_' and '-'), not 'big gpu'.",
    "sweep.yaml:4: notify: is empty; write a command.",
    "sweep.yaml:5: defaults.retry: unknown key; the keys here are timeout, retries, priority.",
    "sweep.yaml:5: defaults.timeout: must be a duration such as 90 (seconds), 90s, 15m, 2h or 1h30m, not '2 hours'.",
    "sweep.yaml:5: defaults.priority: must be at most 1000, not '2000'.",
    "sweep.yaml:6: build: must be a command, not a list.",
    "sweep.yaml:7: save: must stay inside the working directory (no '..'), not '../out'; write a folder such as results.",
    "sweep.yaml:8: keep: must be true or false, not 'yes'.",
    "sweep.yaml:9: windows: 'mon-fry' in run windows is not a day, a day range or a time range; write days as mon…sun or a range such as mon-fri, times as HH:MM-HH:MM, items separated by commas (e.g. 'mon-fri 19:00-08:00, sat-sun').",
    "sweep.yaml:10: on_exit.sucess: is not a case; write one of succeeded, failed, killed, timed-out, lost, cancelled, dependency-failed, any or an exit code from 0 to 255.",
    "sweep.yaml:11: jobz: unknown key; did you mean 'jobs'?",
    `sweep.yaml:16: jobs[0].files[0]: 'case/nothere.msh' does not exist (looked for ${dir}/case/nothere.msh); paths are relative to ${dir}.`,
    "sweep.yaml:16: jobs[0].files[1].as: must stay inside the working directory (no '..'), not '../x'; write a name such as input.msh.",
    "sweep.yaml:16: jobs[0].files[2].path: is missing; write path: <a file or folder, relative to the batch file>.",
    `sweep.yaml:16: jobs[0].files[4]: stages a second file as 'notes.txt' (${dir}/case/notes.txt is staged there already); give one of them another name with as:.`,
    "sweep.yaml:17: jobs[0].on_exit.timeout: is not a case; write one of succeeded, failed, killed, timed-out, lost, cancelled, dependency-failed, any or an exit code from 0 to 255 (did you mean 'timed-out'?).",
    "sweep.yaml:17: jobs[0].on_exit.300: is not a case; write one of succeeded, failed, killed, timed-out, lost, cancelled, dependency-failed, any or an exit code from 0 to 255.",
    "sweep.yaml:17: jobs[0].on_exit.1: is a case given twice; give each case once.",
    "sweep.yaml:18: jobs[0].retries: must be at most 100, not '101'.",
    "sweep.yaml:19: jobs[0].timeout: must be a duration such as 90 (seconds), 90s, 15m, 2h or 1h30m, not '0'.",
    "sweep.yaml:20: jobs[0].begin: 'tomorrow' is not a begin time; write a time of day such as 22:00, a delay such as +2h or +1h30m, or a date such as 2026-12-24 or 2026-12-24 22:00 (local time; add Z or +01:00 for another zone).",
    "sweep.yaml:23: jobs[1].after[1]: 'mash' is not a job of this batch; did you mean 'mesh'?",
    "sweep.yaml:24: jobs[1].matrix.re[1]: repeats the value '100'; list each value once.",
    "sweep.yaml:24: jobs[1].matrix.grid: is an empty list; give at least one value.",
    "sweep.yaml:25: jobs[2].name: 'mesh' is already the name of jobs[0] (line 13); give each job its own name.",
    "sweep.yaml:25: jobs[2].command: is missing; write command: a command.",
    "sweep.yaml:26: jobs[2].comand: unknown key; did you mean 'command'?",
    "sweep.yaml:29: jobs[3].matrix.bad-key: is not a parameter name; write letters, digits and '_', starting with a letter.",
    "sweep.yaml:29: jobs[3].matrix.c: must be a list of values, such as [100, 1000], not 'x'.",
    "sweep.yaml:29: jobs[3].matrix.d[0]: must be a value (a word or a number), not a list.",
    "sweep.yaml:29: jobs[3].matrix.e[0]: contains a control character (a newline or a tab); write the value on one line.",
  ]);
});

t.test('matrices, staged files and after: what can go wrong', async (t) => {
  const dir = site(t);
  const text = `name: t
suspend_outside: true
jobs:
  - {name: s, command: "x {k} {j} {k}", matrix: {k: [1], m: [2]}}
  - {name: u, command: "x {v}", matrix: {v: ["a b", "a_b", "a/b"]}}
  - {name: w, command: "x {v}", matrix: {v: ["${'y'.repeat(300)}"]}}
  - {name: f, command: x, files: [case/base.msh, {path: case/notes.txt, as: base.msh}], after: [{x: 1}, nothing]}
  - just text
  - {name: g}
`;
  t.strictSame(errors(dir, text), [
    "sweep.yaml:2: suspend_outside: needs windows: to say when jobs may run; add windows: or remove suspend_outside.",
    "sweep.yaml:4: jobs[0].command: uses {j}, which is not a parameter of its matrix (k, m); add j to the matrix, or write ${j} for a shell variable.",
    "sweep.yaml:4: jobs[0].matrix.m: is not used in the command; put {m} in the command or remove the parameter.",
    "sweep.yaml:5: jobs[1].matrix: gives the job name 'u[v=a_b]' to two combinations of its values; make the values differ in letters, digits or '.', '_', '-', '+', ':', '@', '%'.",
    "sweep.yaml:6: jobs[2].matrix: gives the job name 'w[v=yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…', longer than 255 bytes; use shorter values or parameter names.",
    `sweep.yaml:7: jobs[3].files[1]: stages a second file as 'base.msh' (${dir}/case/base.msh is staged there already); give one of them another name with as:.`,
    "sweep.yaml:7: jobs[3].after[0]: must be the name of a job of this batch, not a map.",
    "sweep.yaml:7: jobs[3].after[1]: 'nothing' is not a job of this batch; the jobs are u, w, s, f, g.",
    "sweep.yaml:8: jobs[4]: must be a job: a map with a name and a command, not 'just text'.",
    "sweep.yaml:9: jobs[5].command: is missing; write command: a command.",
  ]);
});

t.test('cycles: named in the order the jobs wait', async (t) => {
  const dir = site(t);
  t.strictSame(errors(dir, `name: c
jobs:
  - {name: a, command: x, after: [c]}
  - {name: b, command: y, after: [a]}
  - {name: c, command: z, after: [b]}
  - {name: d, command: w, after: [d]}
`), [
    "sweep.yaml:3: jobs[0].after: the jobs wait for each other in a cycle: a -> c -> b -> a; remove one of these after: entries.",
  ]);
  t.strictSame(errors(dir, `name: c
jobs:
  - {name: s, command: "x {k}", matrix: {k: [1, 2]}, after: ["s[k=1]"]}
`), [
    "sweep.yaml:3: jobs[0].after: the jobs wait for each other in a cycle: s -> s; remove one of these after: entries.",
  ], 'a matrix job after one of its own expansions');
});

t.test('the file as a whole', async (t) => {
  const dir = site(t);
  t.strictSame(errors(dir, ``), [
    "sweep.yaml:1: the file is empty; write a batch: name: and jobs: with at least one job.",
  ]);
  t.strictSame(errors(dir, `- a\n`), [
    "sweep.yaml:1: must be a batch: a map with name: and jobs:, not a list.",
  ]);
  t.strictSame(errors(dir, `namespace: x\n`), [
    "sweep.yaml:1: name: is missing; write name: a name (letters, digits, '.', '_' and '-', starting with a letter or digit).",
    "sweep.yaml:1: jobs: is missing; write jobs: followed by a list of jobs, each with a name and a command.",
  ]);
  t.strictSame(errors(dir, `name: x\njobs: []\n`), [
    "sweep.yaml:2: jobs: is an empty list; give at least one job with a name and a command.",
  ]);
  t.strictSame(errors(dir, `name: x\njobs: {a: 1}\n`), [
    "sweep.yaml:2: jobs: must be a list of jobs, each with a name and a command, not a map.",
  ]);
  t.strictSame(errors(dir, `name: x\njobs:\n  - name: a\n    command: "unclosed\n`), [
    "sweep.yaml:4: YAML syntax: Missing closing \"quote (at the end of the file).",
  ]);
});

t.test('one mistake, one error: no echoes in the jobs around it', async (t) => {
  const dir = site(t);
  t.strictSame(errors(dir, 'name: d\njobs:\n  - {name: a, command: x}\n  - {name: a, command: "y {k}", matrix: {k: [1]}}\n'), [
    "sweep.yaml:4: jobs[1].name: 'a' is already the name of jobs[0] (line 3); give each job its own name.",
  ], 'a second job of a name: that error only');
  t.strictSame(errors(dir, 'name: d\njobs:\n  - {name: a, command: x, retries: many}\n  - {name: b, command: y, after: [a]}\n'), [
    "sweep.yaml:3: jobs[0].retries: must be a whole number of at least 0, not 'many'.",
  ], 'after a job with a mistake of its own: not reported again');
  t.strictSame(errors(dir, 'name: d\non_exit: {2: ""}\njobs:\n  - {name: a, command: x, on_exit: [x]}\n'), [
    'sweep.yaml:2: on_exit.2: is empty; write a command.',
    "sweep.yaml:4: jobs[0].on_exit: must be a command, or a map of cases (succeeded, failed, timed-out, an exit code …) to commands, not a list.",
  ]);
});
