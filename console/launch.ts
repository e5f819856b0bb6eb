#!/usr/bin/env node
// jms_console as installed (package.json "bin": dist/jms_console.cjs, this file bundled as
// CommonJS): runs the bundled console, dist/console.bundle.cjs, with V8's code cache for
// it, so a one-shot command does not parse its half megabyte again each time. The cache
// (dist/console.bundle.cache) is written by the first run that finds none, or one V8
// refuses; it names the bundle's size and mtime and the Node version it is for, and a
// cache for anything else is ignored. This file runs as dist/jms_console.cjs; without the
// bundle there (a tsc-only build) the console runs from dist/console/main.js. Either way
// the console is the same program.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const BUNDLE = join(here, 'console.bundle.cjs');
const CACHE = join(here, 'console.bundle.cache');

/** What a cache must have been made for: this bundle, this Node. */
function stamp(st: fs.Stats): string {
  return `jms-console-cache ${st.size} ${st.mtimeMs} ${process.version} ${process.arch}\n`;
}

function readCache(want: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = fs.readFileSync(CACHE);
  } catch {
    return undefined;
  }
  const head = Buffer.from(want);
  return data.length > head.length && data.subarray(0, head.length).equals(head) ? data.subarray(head.length) : undefined;
}

/** Written whole or not at all (a rename), by whichever console gets there; failures are nobody's business. */
function writeCache(want: string, script: vm.Script): void {
  const tmp = `${CACHE}.${process.pid}`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(want), script.createCachedData()]), { mode: 0o644 });
    fs.renameSync(tmp, CACHE);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

function runBundle(st: fs.Stats): void {
  const want = stamp(st);
  const cachedData = readCache(want);
  // The #! line is not JavaScript inside the function; `//` keeps every position.
  const text = fs.readFileSync(BUNDLE, 'utf8').replace(/^#!/, '//');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${text}\n})`, {
    filename: BUNDLE,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const main: unknown = script.runInThisContext();
  if (typeof main !== 'function') throw new Error(`${BUNDLE} did not compile to a function`);
  if (cachedData === undefined || script.cachedDataRejected === true) process.once('exit', () => writeCache(want, script));
  const module = { exports: {} };
  main.call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, here);
}

let bundle: fs.Stats | null = null;
try {
  bundle = fs.statSync(BUNDLE);
} catch {
  bundle = null;
}
if (bundle !== null) runBundle(bundle);
else void import(join(here, 'console', 'main.js'));
