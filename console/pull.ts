// pull: a batch's archived files, listed by the coordinator (archive-list: the archive folder
// on its machine and each file's path there), chosen by the --include / --exclude regular
// expressions (any include, then no exclude, on the path) and copied from that folder into
// the user's, keeping their paths; a file already there is replaced. The console runs on the
// coordinator's machine (the FIFOs are local), so it reads the archive directly.

import fs from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { ArchiveFile } from '../protocol/messages.js';
import { errno } from '../protocol/fifo.js';
import { reasonOf } from '../protocol/paths.js';

/** The files whose paths match one of `include` (all when there is none) and none of `exclude`. */
export function selectFiles(files: readonly ArchiveFile[], include: readonly RegExp[], exclude: readonly RegExp[]): ArchiveFile[] {
  const test = (re: RegExp, path: string): boolean => {
    re.lastIndex = 0; // a /g or /y expression keeps state between tests
    return re.test(path);
  };
  return files.filter((f) => (include.length === 0 || include.some((re) => test(re, f.path))) && !exclude.some((re) => test(re, f.path)));
}

/** `12 KB`, `3.4 MB`, `512 bytes`. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let n = bytes / 1024;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u += 1;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[u] ?? 'TB'}`;
}

/** A batch's key from its archive folder `<archive>/<namespace>/<name>`. */
export function keyOfRoot(root: string): string {
  return `${basename(dirname(root))}/${basename(root)}`;
}

/** Where `pull <batch>` copies to without --to: ./<name> (the batch's own name, not its namespace). */
export function defaultTarget(batch: string): string {
  return `./${batch.slice(batch.indexOf('/') + 1)}`;
}

export interface CopyResult {
  copied: ArchiveFile[];
  bytes: number;
  failed: { path: string; why: string }[];
}

/** The file's place under `dir`, or null if its path would leave it. */
function inside(dir: string, path: string): string | null {
  const to = resolve(dir, path);
  const rel = relative(resolve(dir), to);
  return rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || rel.startsWith(sep) ? null : to;
}

/** Why a copy failed: a file gone from the archive is said so, the rest as the system says it. */
function copyError(err: unknown, from: string): string {
  if (errno(err) === 'ENOENT' && err instanceof Error && 'path' in err && err.path === from) return 'it is no longer in the archive';
  return reasonOf(err);
}

/** Copies `files` from `root` into `to` (made as needed); `onFile` sees each one copied. */
export async function copyFiles(root: string, files: readonly ArchiveFile[], to: string, onFile: (f: ArchiveFile) => void): Promise<CopyResult> {
  const out: CopyResult = { copied: [], bytes: 0, failed: [] };
  for (const f of files) {
    const from = inside(root, f.path);
    const dest = inside(to, f.path);
    if (from === null || dest === null) {
      out.failed.push({ path: f.path, why: 'its path leaves the folder' });
      continue;
    }
    try {
      await fs.promises.mkdir(dirname(dest), { recursive: true });
      await fs.promises.copyFile(from, dest);
      out.copied.push(f);
      out.bytes += f.size;
      onFile(f);
    } catch (err) {
      out.failed.push({ path: f.path, why: copyError(err, from) });
    }
  }
  return out;
}

/** Where a file goes, as the user reads it: `./sweep-1/mesh/out.msh`. */
export function shownPath(to: string, path: string): string {
  return to.startsWith('./') ? `./${join(to, path)}` : join(to, path);
}
