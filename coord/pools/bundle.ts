// The pool program as one file (dist/pool.bundle.cjs, made by esbuild at build time),
// which the coordinator copies to other hosts; named there by its content hash, so two
// JMS versions never run each other's pools.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface PoolBundle {
  text: string;
  sha256: string;
  /** The name's part: the first 16 hex digits of the hash. */
  hash: string;
}

export const BUNDLE_PATH = fileURLToPath(new URL('../../pool.bundle.cjs', import.meta.url));

let loaded: PoolBundle | null = null;

export function poolBundle(): PoolBundle {
  if (loaded !== null) return loaded;
  const text = fs.readFileSync(BUNDLE_PATH, 'utf8');
  const sha256 = createHash('sha256').update(text).digest('hex');
  loaded = { text, sha256, hash: sha256.slice(0, 16) };
  return loaded;
}
