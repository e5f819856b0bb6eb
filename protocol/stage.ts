// Files staged into a job's directory before it starts (a batch job's `files`), and the
// one rule for the relative names used inside a job directory, a staging area or an
// archive: not empty, not absolute, never up through `..`.

export interface StageEntry {
  /** A file or folder on the pool's host (absolute), copied recursively, links as links. */
  src: string;
  /** Where it goes, relative to the job directory. */
  as: string;
}

/** Why `p` cannot name something inside a directory, or null when it can. */
export function relativeProblem(p: string): string | null {
  if (p === '') return 'is empty';
  if (p.startsWith('/')) return 'is an absolute path';
  if (p.includes('\0')) return 'contains a NUL byte';
  const parts = p.split('/');
  if (parts.includes('..')) return "goes up with '..'";
  if (parts.every((x) => x === '' || x === '.')) return 'names the directory itself';
  return null;
}

/** `p` without `.` and empty parts (a checked relative name): `./a//b/` is `a/b`. */
export function cleanRelative(p: string): string {
  return p.split('/').filter((x) => x !== '' && x !== '.').join('/');
}

/** The clause of a failed file operation: `no such file or directory`, not the errno and syscall. */
export function fsProblem(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const sys = /^E[A-Z0-9]+: ([^,]+)/.exec(text) ?? /returned E[A-Z0-9]+ \(([^)]+)\)/.exec(text);
  return (sys?.[1] ?? text.split('\n')[0] ?? text).trim();
}
