// What a coordinator starts as a pool on its own machine (dist/jms_pool.cjs, this file
// bundled): the bundled pool program, dist/pool.bundle.cjs, run with V8's code cache for
// it (protocol/cached-bundle.ts); a pool starts every jobs_pool jobs. Without the bundle
// there (a tsc-only build) the pool runs from dist/pool/main.js: the same program.

import { join } from 'node:path';
import { runCachedBundle } from '../protocol/cached-bundle.js';

const here = import.meta.dirname;
// Bundled, this file is CommonJS and hands the bundle its own require (same directory).
if (!runCachedBundle(join(here, 'pool.bundle.cjs'), typeof require === 'function' ? require : undefined)) void import(join(here, 'pool', 'main.js'));
