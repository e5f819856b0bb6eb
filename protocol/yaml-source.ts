// A YAML file read for a person: the document with its line numbers, and every mistake
// collected as `<file>:<line>: <field path>: <what is wrong>; <what to write instead>.` The
// readers of hosts and batch files walk maps and lists through here; scalar readers are in
// protocol/yaml-read.ts.

import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { closest } from './suggest.js';

/** The largest file these readers take. */
export const MAX_YAML_BYTES = 4 * 1024 * 1024;
/** Aliases (`*name`) resolved per file: enough for any real file, too few for an alias bomb. */
const MAX_ALIASES = 1000;

/** A value in the file: its node (aliases resolved), the line it is on, and its field path. */
export interface Field {
  readonly node: unknown;
  readonly line: number;
  readonly path: string;
}

export class Source {
  readonly errors: string[] = [];
  private readonly errorLines: number[] = [];
  private aliases = 0;

  constructor(
    private readonly fileName: string,
    private readonly lines: LineCounter,
    private readonly doc: Document,
  ) {}

  /** Records one mistake; `what` is "<what is wrong>; <what to write instead>". */
  fail(line: number, path: string, what: string): void {
    const sentence = /[.?!]$/.test(what) ? what : `${what}.`;
    this.errors.push(`${this.fileName}:${line}: ${path === '' ? '' : `${path}: `}${sentence}`);
    this.errorLines.push(line);
  }

  /** The mistakes recorded, in the order of their lines. */
  report(): string[] {
    return this.errors.map((e, i) => ({ e, line: this.errorLines[i] ?? 0, i })).sort((a, b) => a.line - b.line || a.i - b.i).map((x) => x.e);
  }

  lineOf(node: unknown, fallback: number): number {
    if (!isNode(node) || !node.range) return fallback;
    const { line } = this.lines.linePos(node.range[0]);
    return line >= 1 ? line : fallback;
  }

  /** The node an alias stands for (anything else as it is). */
  deref(node: unknown, line: number, path: string): unknown {
    if (!isAlias(node)) return node;
    this.aliases += 1;
    if (this.aliases === MAX_ALIASES + 1) this.fail(line, path, `more than ${MAX_ALIASES} aliases in one file; write the values out`);
    if (this.aliases > MAX_ALIASES) return null;
    return node.resolve(this.doc) ?? null;
  }

  /** A child of `parent` as a Field. */
  field(value: unknown, fallbackLine: number, path: string): Field {
    const line = this.lineOf(value, fallbackLine);
    return { node: this.deref(value, line, path), line, path };
  }
}

/** The parsed file and its top-level value, or its syntax errors (each with its line). */
export function loadYaml(text: string, fileName: string): { src: Source; root: Field } | { errors: string[] } {
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) {
    return { errors: [`${fileName}:1: the file is larger than ${MAX_YAML_BYTES / 1024 / 1024} MiB; split it.`] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    // An error at the end of the file is on its last line, not on the empty one after it.
    const lastLine = Math.max(1, text.replace(/\n$/, '').split('\n').length);
    return {
      errors: problems.map((e) => {
        const at = e.linePos?.[0] ?? { line: 1, col: 1 };
        const what = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        const where = at.line > lastLine ? 'at the end of the file' : `column ${at.col}`;
        return `${fileName}:${Math.min(at.line, lastLine)}: YAML syntax: ${what} (${where}).`;
      }),
    };
  }
  const src = new Source(fileName, lines, doc);
  return { src, root: src.field(doc.contents, 1, '') };
}

/** How a value looks in an error: `'two'`, `a list`, `a map`, `nothing`. */
export function shown(node: unknown): string {
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (!isScalar(node) || node.value === null || node.value === undefined) return 'nothing';
  const text = typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
  return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
}

export function isEmpty(f: Field | undefined): boolean {
  return f === undefined || f.node === null || f.node === undefined || (isScalar(f.node) && (f.node.value === null || f.node.value === undefined));
}

export function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * The entries of a map, keyed by name; keys not in `keys` are errors with a suggestion. An
 * entry whose value is empty (`account:` or `~`) counts as not given.
 */
export function mapOf(src: Source, f: Field, keys: readonly string[], what: string): Map<string, Field> | null {
  if (!isMap(f.node)) {
    src.fail(f.line, f.path, `must be ${what}, not ${shown(f.node)}`);
    return null;
  }
  const out = new Map<string, Field>();
  for (const pair of f.node.items) {
    const keyLine = src.lineOf(pair.key, f.line);
    const key = src.deref(pair.key, keyLine, f.path);
    if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number')) {
      src.fail(keyLine, f.path, `has a key that is not a word (${shown(key)}); write keys as plain words`);
      continue;
    }
    const name = String(key.value);
    const path = childPath(f.path, name);
    if (!keys.includes(name)) {
      const near = closest(name, keys);
      src.fail(keyLine, path, near !== null ? `unknown key; did you mean '${near}'?` : `unknown key; the keys here are ${keys.join(', ')}`);
      continue;
    }
    const value = src.field(pair.value, keyLine, path);
    if (!isEmpty(value)) out.set(name, value);
  }
  return out;
}

/** The items of a list, or null (an error recorded) when `f` is not a list. */
export function listOf(src: Source, f: Field, what: string): Field[] | null {
  if (!isSeq(f.node)) {
    src.fail(f.line, f.path, `must be ${what}, not ${shown(f.node)}`);
    return null;
  }
  return f.node.items.map((item, i) => src.field(item, f.line, `${f.path}[${i}]`));
}

/** The entries of a map whose keys are data (matrix parameters, on_exit cases), in file order. */
export function pairsOf(src: Source, f: Field, what: string): { key: string; keyLine: number; value: Field }[] | null {
  if (!isMap(f.node)) {
    src.fail(f.line, f.path, `must be ${what}, not ${shown(f.node)}`);
    return null;
  }
  const out: { key: string; keyLine: number; value: Field }[] = [];
  for (const pair of f.node.items) {
    const keyLine = src.lineOf(pair.key, f.line);
    const key = src.deref(pair.key, keyLine, f.path);
    if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number')) {
      src.fail(keyLine, f.path, `has a key that is not a word (${shown(key)}); write keys as plain words`);
      continue;
    }
    const name = typeof key.value === 'string' ? key.value : (key.source ?? String(key.value));
    out.push({ key: name, keyLine, value: src.field(pair.value, keyLine, childPath(f.path, name)) });
  }
  return out;
}
