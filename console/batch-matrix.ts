// From the jobs a batch file writes (console/batch-jobs.ts) to the jobs of the batch: names
// unique, each matrix expanded over the product of its values (`solve[re=100,grid=fine]`,
// values put into the command shell-quoted), every `after` resolved to job names, and no
// cycle of jobs waiting for each other.

import { cycleText, findCycle } from '../protocol/batch-graph.js';
import { type BatchJobSpec, MAX_BATCH_JOBS, MAX_NAME_BYTES, NAME_VALUE_CHAR } from '../protocol/batch.js';
import { MAX_COMMAND_BYTES } from '../protocol/messages.js';
import { closest } from '../protocol/suggest.js';
import { scalarText } from '../protocol/yaml-read.js';
import { type Field, shown, type Source } from '../protocol/yaml-source.js';
import type { JobEntry, MatrixParam } from './batch-jobs.js';

/** `{name}` in a command template; `${name}` is the shell's and left alone. */
const PLACEHOLDER = /(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const SHELL_SAFE = /^[A-Za-z0-9._/=:+-]+$/;

/** `v` as one shell word: as it is when it is plain, else in single quotes. */
export function shellWord(v: string): string {
  return SHELL_SAFE.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/** A job of the file with mistakes of its own: its name and `after`, still checked against the rest. */
export interface BrokenJob {
  name: string | null;
  after: Field[];
}

/**
 * The batch's jobs, or null when something is wrong (each mistake recorded in `src`). Names
 * are unique already (console/batch-jobs.ts checkUniqueNames); `broken` jobs are left out,
 * but an `after` naming one is not an error and their own `after` is checked.
 */
export function expandJobs(src: Source, entries: readonly JobEntry[], jobsField: Field, broken: readonly BrokenJob[]): BatchJobSpec[] | null {
  const before = src.errors.length;
  const byName = new Map<string, JobEntry>();
  for (const e of entries) if (!byName.has(e.name)) byName.set(e.name, e);
  const total = entries.reduce((n, e) => n + combinations(e), 0);
  if (total > MAX_BATCH_JOBS) {
    src.fail(jobsField.line, jobsField.path, `expand to ${total} jobs, more than the limit of ${MAX_BATCH_JOBS}; split the batch into several files`);
    return null;
  }
  if (src.errors.length > before) return null;
  const { expanded, owner } = expandAll(src, entries, byName);
  const names: Names = { byName, expanded, owner, broken: new Set(broken.flatMap((b) => (b.name === null ? [] : [b.name]))) };
  const after = new Map(entries.map((e) => [e, resolveAfter(src, e.after, names)]));
  for (const b of broken) resolveAfter(src, b.after, names);
  checkCycle(src, byName, (e) => [...new Set((after.get(e) ?? []).map((a) => owner.get(a)?.name ?? a))]);
  if (src.errors.length > before) return null;
  return entries.flatMap((e) => (expanded.get(e) ?? []).map((j) => spec(e, j, after.get(e) ?? [])));
}

type Expansion = { name: string; command: string };

/** Each job's expansions, and which job each expanded name belongs to. */
function expandAll(src: Source, entries: readonly JobEntry[], byName: ReadonlyMap<string, JobEntry>): { expanded: Map<JobEntry, Expansion[]>; owner: Map<string, JobEntry> } {
  const expanded = new Map<JobEntry, Expansion[]>();
  const owner = new Map<string, JobEntry>();
  for (const e of entries) {
    if (byName.get(e.name) !== e) continue; // a second job of that name, reported already
    const jobs = expand(src, e);
    expanded.set(e, jobs);
    let clash = false;
    for (const j of jobs) {
      // Written names have no '[', so only two combinations of one matrix can share a name.
      if (owner.has(j.name) && !clash) {
        src.fail(e.line, `${e.path}.matrix`, `gives the job name '${j.name}' to two combinations of its values; make the values differ in letters, digits or '.', '_', '-', '+', ':', '@', '%'`);
        clash = true;
      }
      owner.set(j.name, e);
    }
  }
  return { expanded, owner };
}

/** Reports the first cycle among the jobs (by their written names), at the `after` of its first job. */
function checkCycle(src: Source, byName: ReadonlyMap<string, JobEntry>, waitsFor: (e: JobEntry) => string[]): void {
  const cycle = findCycle([...byName.keys()], (n) => {
    const e = byName.get(n);
    return e === undefined ? [] : waitsFor(e);
  });
  const first = cycle === null ? undefined : byName.get(cycle[0] ?? '');
  if (cycle === null || first === undefined) return;
  src.fail(first.afterField?.line ?? first.line, `${first.path}.after`, `the jobs wait for each other in a cycle: ${cycleText(cycle)}; remove one of these after: entries`);
}

function spec(e: JobEntry, j: Expansion, after: string[]): BatchJobSpec {
  return {
    name: j.name, command: j.command, needs: e.needs, after, files: e.files, timeoutSec: e.timeoutSec,
    retries: e.retries, priority: e.priority, begin: e.begin, onExit: e.onExit,
  };
}

/** Every `{key}` of a matrix job's command is a key of its matrix, and every key is used. */
export function checkTemplate(src: Source, command: Field & { text: string }, jobPath: string, matrix: readonly MatrixParam[]): void {
  const keys = matrix.map((p) => p.key);
  const used = new Set([...command.text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''));
  for (const name of used) {
    if (!keys.includes(name)) {
      src.fail(command.line, command.path, `uses {${name}}, which is not a parameter of its matrix (${keys.join(', ')}); add ${name} to the matrix, or write $\{${name}} for a shell variable`);
    }
  }
  for (const p of matrix) {
    if (!used.has(p.key)) src.fail(p.line, `${jobPath}.matrix.${p.key}`, `is not used in the command; put {${p.key}} in the command or remove the parameter`);
  }
}

function combinations(e: JobEntry): number {
  return e.matrix === null ? 1 : e.matrix.reduce((n, p) => n * p.values.length, 1);
}

/** Every combination of the matrix, first key slowest, as a job name and its command. */
function expand(src: Source, e: JobEntry): Expansion[] {
  if (e.matrix === null) return [{ name: e.name, command: e.command }];
  let combos: [string, string][][] = [[]];
  for (const p of e.matrix) combos = combos.flatMap((c) => p.values.map((v): [string, string][] => [...c, [p.key, v]]));
  const out: Expansion[] = [];
  let reported = false;
  for (const combo of combos) {
    const values = new Map(combo);
    const name = `${e.name}[${combo.map(([k, v]) => `${k}=${nameValue(v)}`).join(',')}]`;
    const command = e.command.replace(PLACEHOLDER, (whole, key: string) => {
      const v = values.get(key);
      return v === undefined ? whole : shellWord(v);
    });
    if (!reported && Buffer.byteLength(name) > MAX_NAME_BYTES) {
      src.fail(e.line, `${e.path}.matrix`, `gives the job name '${name.slice(0, 60)}…', longer than ${MAX_NAME_BYTES} bytes; use shorter values or parameter names`);
      reported = true;
    }
    if (!reported && Buffer.byteLength(command) > MAX_COMMAND_BYTES) {
      src.fail(e.line, `${e.path}.command`, `is longer than ${MAX_COMMAND_BYTES} bytes for ${name}; use shorter values`);
      reported = true;
    }
    out.push({ name, command });
  }
  return out;
}

function nameValue(v: string): string {
  return [...v].map((c) => (NAME_VALUE_CHAR.test(c) ? c : '_')).join('');
}

interface Names {
  byName: ReadonlyMap<string, JobEntry>;
  expanded: ReadonlyMap<JobEntry, { name: string }[]>;
  owner: ReadonlyMap<string, JobEntry>;
  broken: ReadonlySet<string>;
}

/** The job names `refs` stand for (a matrix job's name: all its expansions); unknown ones are errors. */
function resolveAfter(src: Source, refs: readonly Field[], { byName, expanded, owner, broken }: Names): string[] {
  const out: string[] = [];
  for (const ref of refs) {
    const name = scalarText(ref.node);
    const target = name === null ? undefined : byName.get(name);
    if (name === null) {
      src.fail(ref.line, ref.path, `must be the name of a job of this batch, not ${shown(ref.node)}`);
    } else if (target !== undefined) {
      out.push(...(expanded.get(target) ?? []).map((j) => j.name));
    } else if (owner.has(name)) {
      out.push(name);
    } else if (!broken.has(name)) {
      const all = [...byName.keys(), ...broken];
      const near = closest(name, all);
      const others = all.length > 10 ? `${all.slice(0, 10).join(', ')}, …` : all.join(', ');
      src.fail(ref.line, ref.path, `'${name}' is not a job of this batch; ${near !== null ? `did you mean '${near}'?` : `the jobs are ${others}`}`);
    }
  }
  return [...new Set(out)];
}
