// Finding and loading one of JMS's native addons (binding.gyp): beside the module that
// asks (a bundle shipped with its .node file next to it), else in build/Release of the
// checkout it was built in, found by walking up from that module (dist/pool/spawn/ and
// a bundle in dist/ alike). A missing addon is normal (not built, or a bundled pool on
// another host); one that is there but does not load is worth a line from the caller.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `file` may be for the module at `moduleUrl` (its import.meta.url); none when that is unknown. */
export function addonCandidates(file: string, moduleUrl: string | undefined): string[] {
  if (moduleUrl === undefined) return [];
  let here: string;
  try {
    here = dirname(fileURLToPath(moduleUrl));
  } catch {
    return [];
  }
  const found = [join(here, file)];
  for (let up = here, i = 0; i < 4; i += 1, up = dirname(up)) found.push(join(up, 'build', 'Release', file));
  return [...new Set(found)];
}

export type NativeLoad = { module: unknown; file: string } | { missing: string } | { unusable: string };

/** The first candidate that exists, loaded (the caller checks what it exports). */
export function loadNative(candidates: readonly string[], name: string): NativeLoad {
  const file = candidates.find((f) => fs.existsSync(f));
  if (file === undefined) return { missing: `${name} is not built (looked in: ${candidates.join(', ') || 'nowhere'})` };
  try {
    return { module: createRequire(file)(file), file };
  } catch (err) {
    return { unusable: `${file} does not load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}
