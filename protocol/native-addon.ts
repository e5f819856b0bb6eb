// Finding and loading one of JMS's native addons (binding.gyp): beside the module that
// asks (a bundle shipped with its .node file next to it), else in build/Release of the
// checkout it was built in, found by walking up from that module (dist/pool/spawn/ and
// a bundle in dist/ alike). A missing addon is normal (not built, or a bundled pool on
// another host); one that is there but does not load is worth a line from the caller.

import fs from 'node:fs';
import { dirname, join } from 'node:path';

/** Where `file` may be for the module in `moduleDir` (its import.meta.dirname); none when that is unknown. */
export function addonCandidates(file: string, moduleDir: string | undefined): string[] {
  if (moduleDir === undefined || moduleDir === '') return [];
  const here = moduleDir;
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
    // process.dlopen is what require() of a .node file does, without loading node:module.
    const module = { exports: {} as unknown };
    process.dlopen(module, file);
    return { module: module.exports, file };
  } catch (err) {
    return { unusable: `${file} does not load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}
