// The pool program: `node pool/main.js --key <key>` is a pool (pool.ts); the same file
// also carries the few tools a coordinator runs on a host it reaches over ssh
// (tools.ts), so a host needs nothing but this program and Node.js.

import { runTool } from './tools.js';

if (!runTool(process.argv.slice(2))) await import('./pool.js');
