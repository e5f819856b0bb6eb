// Runs a CommonJS bundle (scripts/bundle.mjs) as a vm.Script with V8's code cache for it,
// so a program started often (a one-shot console command, a pool every jobs_pool jobs)
// does not compile its bundle again each time. The cache, beside the bundle, is written by
// the first run that finds none, or one V8 refuses; it names the bundle's size and mtime,
// the Node version and Node's command-line flags, and a cache made for anything else is
// ignored. V8 also refuses a cache made under other V8 flags, so each set of flags has a
// file of its own (cachePath): a pool or console started with protocol/quick-start.ts's
// flags and one started without them (`node dist/jms_console.cjs`) do not throw each
// other's cache away. Written whole or not at all (a rename), by whichever process gets
// there first; a cache that cannot be written (a read-only installation) costs nothing
// but the compile.

import { readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** What a cache must have been made for: this bundle, this Node, these flags (names can be cut). */
function stamp(st: Stats): string {
  return `jms-bundle-cache ${st.size} ${st.mtimeMs} ${process.version} ${process.arch} ${process.execArgv.join(' ')}\n`;
}

/** <bundle without .cjs>[.<its flags, as a name>].cache */
export function cachePath(bundle: string, execArgv: readonly string[] = process.execArgv): string {
  const all = execArgv.join(' ');
  const flags = all.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  // A long set (paths of --require) is cut, with a checksum of the whole to keep sets apart.
  let sum = 0;
  for (const c of all) sum = (Math.imul(sum, 31) + (c.codePointAt(0) ?? 0)) >>> 0;
  const tag = flags === '' ? '' : flags.length <= 40 ? `.${flags}` : `.${flags.slice(0, 32)}-${sum.toString(36)}`;
  return `${bundle.replace(/\.cjs$/, '')}${tag}.cache`;
}

function readCache(cache: string, want: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(cache);
  } catch {
    return undefined;
  }
  const head = Buffer.from(want);
  return data.length > head.length && data.subarray(0, head.length).equals(head) ? data.subarray(head.length) : undefined;
}

function writeCache(cache: string, want: string, script: Script): void {
  const tmp = `${cache}.${process.pid}`;
  try {
    writeFileSync(tmp, Buffer.concat([Buffer.from(want), script.createCachedData()]), { mode: 0o644 });
    renameSync(tmp, cache);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/**
 * Runs `bundle` with its code cache; false (nothing run) when the bundle is not there.
 * `require`: one that resolves as the bundle's own would (a module in its directory);
 * else one is made for it (which loads node:module).
 */
export function runCachedBundle(bundle: string, require?: NodeJS.Require): boolean {
  let st: Stats;
  try {
    st = statSync(bundle);
  } catch {
    return false;
  }
  const cache = cachePath(bundle);
  const want = stamp(st);
  const cachedData = readCache(cache, want);
  // The #! line is not JavaScript inside the function; `//` keeps every position.
  const text = readFileSync(bundle, 'utf8').replace(/^#!/, '//');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${text}\n})`, {
    filename: bundle,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const main: unknown = script.runInThisContext();
  if (typeof main !== 'function') throw new Error(`${bundle} did not compile to a function`);
  if (cachedData === undefined || script.cachedDataRejected === true) process.once('exit', () => writeCache(cache, want, script));
  const module = { exports: {} };
  main.call(module.exports, module.exports, require ?? createRequire(bundle), module, bundle, dirname(bundle));
  return true;
}
