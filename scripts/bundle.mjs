// Bundles the programs whose start-up counts into one file each (Node starts a single
// file quickest), with esbuild, from tsc's output in dist/:
//
//   dist/pool.bundle.cjs     the pool program (started every jobs_pool jobs; what ssh and
//                            Slurm hosts get)
//   dist/jms_pool.cjs        what a local coordinator starts: runs that bundle with V8's
//                            code cache (protocol/cached-bundle.ts)
//   dist/console.bundle.cjs  the console (a one-shot command), minified
//   dist/jms_console.cjs     the installed jms_console: runs that bundle with its code cache
//
// All are CommonJS, the quicker to load, with import.meta.url given back by the banner (made
// the first time it is read: node:url costs a start-up 0.3 ms), import.meta.dirname by
// __dirname, and lazy imports turned into require()s (dynamic-import=false): a bundle runs
// as a vm.Script, where import() has no loader. One rewrite after bundling: esbuild wraps every
// `import fs from 'node:fs'` in __toESM, which copies each of the module's ~100 exports
// onto a new object, once per importing file (11 times for node:fs in the pool, 2 ms of its
// start-up); the banner's __jmsBuiltin does that once per built-in module. And node:module
// is loaded only when createRequire is first called (lazyNodeModule, below): a static
// import of it would load it, and the ESM loader and three more internal modules with it,
// at every start, compiled from source under the V8 flags of protocol/quick-start.ts (which
// make Node's own code cache unusable): 1.7 ms of a pool's start, measured.
//
// Usage: node scripts/bundle.mjs (from the project's root, after tsc).

import fs from 'node:fs';
import { build, transform } from 'esbuild';

const BANNER = [
  '"use strict";',
  'const __jms_meta = { get url() { return (this.u ??= require("node:url").pathToFileURL(__filename).href); } };',
  'const __jmsBuiltins = new Map();',
  'function __jmsBuiltin(mod, isNodeMode) { let m = __jmsBuiltins.get(mod); if (m === undefined) { m = __toESM(mod, isNodeMode); __jmsBuiltins.set(mod, m); } return m; }',
].join(' ');

/** `import { createRequire } from 'node:module'` becomes a function that requires it when called. */
const lazyNodeModule = {
  name: 'lazy-node-module',
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, (args) => (args.namespace === 'lazy-node-module' ? { path: 'node:module', external: true } : { path: 'node:module', namespace: 'lazy-node-module' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-node-module' }, () => ({
      contents: 'export function createRequire(from) { return require("node:module").createRequire(from); }',
      loader: 'js',
    }));
  },
};

const BUNDLES = [
  { entry: 'dist/pool/main.js', out: 'dist/pool.bundle.cjs' },
  { entry: 'dist/pool/launch.js', out: 'dist/jms_pool.cjs' },
  { entry: 'dist/console/main.js', out: 'dist/console.bundle.cjs', minify: process.env.JMS_BUNDLE_PLAIN !== '1' },
  { entry: 'dist/console/launch.js', out: 'dist/jms_console.cjs' },
];

async function bundle({ entry, out, minify = false }) {
  const result = await build({
    entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', write: false, logLevel: 'warning',
    define: { 'import.meta.url': '__jms_meta.url', 'import.meta.dirname': '__dirname' }, banner: { js: BANNER }, supported: { 'dynamic-import': false },
    plugins: [lazyNodeModule],
  });
  let text = result.outputFiles[0].text.replaceAll('__toESM(require("node:', '__jmsBuiltin(require("node:');
  if (minify) text = (await transform(text, { minify: true, keepNames: true, target: 'node20', format: 'cjs', logLevel: 'warning' })).code;
  // esbuild keeps an entry's #! line first; a file without one gets none.
  fs.writeFileSync(out, text, { mode: 0o755 });
}

await Promise.all(BUNDLES.map(bundle));
