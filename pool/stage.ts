// Staging a job's files: before its command starts, each `src` on this host is copied
// into the job directory (still under its hidden first name) at `as`: folders
// recursively, links as links, mode bits kept, parent folders made. The copies are
// asynchronous (libuv's thread pool), so a big one never keeps the pool from answering
// its coordinator's pings. The first that fails is the job's start failure, one line
// naming the file.

import fs from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { cleanRelative, fsProblem, relativeProblem, type StageEntry } from '../protocol/stage.js';

/** Why an entry cannot be staged before any copy is tried, or null. */
function entryProblem(e: StageEntry, jobId: number): string | null {
  if (!isAbsolute(e.src)) return 'its source is not an absolute path';
  const bad = relativeProblem(e.as);
  if (bad !== null) return `the name ${bad}`;
  const first = cleanRelative(e.as).split('/')[0];
  if (first === `stdout_${jobId}` || first === `stderr_${jobId}`) return "the name is one of the job's output files";
  return null;
}

/**
 * Copies every entry into `into` (a path of the job directory); resolves the reason the
 * job cannot start, or null once all are there. Never rejects.
 */
export async function stageFiles(into: string, jobId: number, entries: readonly StageEntry[]): Promise<string | null> {
  for (const e of entries) {
    const refused = entryProblem(e, jobId);
    if (refused !== null) return `cannot stage ${e.src} as ${e.as}: ${refused}`;
  }
  for (const e of entries) {
    try {
      await fs.cp(e.src, join(into, cleanRelative(e.as)), { recursive: true, verbatimSymlinks: true, errorOnExist: false, force: true });
    } catch (err) {
      return `cannot stage ${e.src} as ${e.as}: ${fsProblem(err)}`;
    }
  }
  return null;
}
