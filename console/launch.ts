#!/usr/bin/env -S node --no-rehash-snapshot
// jms_console as installed (package.json "bin": dist/jms_console.cjs, this file bundled):
// runs the bundled console, dist/console.bundle.cjs, with V8's code cache for it
// (protocol/cached-bundle.ts), so a one-shot command does not parse its half megabyte
// again each time. Without the bundle there (a tsc-only build) the console runs from
// dist/console/main.js. Either way the console is the same program. The #! line starts
// Node with protocol/quick-start.ts's flags (env -S splits them; GNU and BSD env have it).

import { join } from 'node:path';
import { runCachedBundle } from '../protocol/cached-bundle.js';

const here = import.meta.dirname;
// Bundled, this file is CommonJS and hands the bundle its own require (same directory).
if (!runCachedBundle(join(here, 'console.bundle.cjs'), typeof require === 'function' ? require : undefined)) void import(join(here, 'console', 'main.js'));
