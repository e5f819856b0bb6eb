// The pool program: `node pool/main.js --key <key>` is a pool (pool.ts); the same file
// also carries the few tools a coordinator runs on a host it reaches over ssh
// (tools.ts), so a host needs nothing but this program and Node.js. Only the one that
// runs is loaded: a pool's start-up is paid for every jobs_pool jobs.

const argv = process.argv.slice(2);
if (argv[0] === undefined || argv[0] === '--key') void import('./pool.js');
else {
  void import('./tools.js').then(({ runTool }) => {
    if (runTool(argv)) return;
    process.stderr.write(`jms pool: unknown mode '${argv[0] ?? ''}' (a pool is started with --key <key>)\n`);
    process.exitCode = 2;
  });
}
