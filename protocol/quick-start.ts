// The V8 flags of the Node processes JMS starts often and for a short while: a local pool
// (every jobs_pool jobs) and the installed jms_console (a one-shot command; its #! line in
// console/launch.ts names the same flags, which test/e2e/quick-start.test.ts checks).
//
// --no-rehash-snapshot: Node 20.20's V8 draws a fresh hash seed at every start and derives
// rapidhash secrets from it by a search for primes (HashSeed::InitializeRoots); measured
// here, `node -e 0` 23.3 → 19.5 ms (medians of 7 interleaved rounds of 20). The process then
// keeps the seed its snapshot was built with. A per-process seed defends a process that
// hashes strings an attacker chooses (hash flooding); a pool hashes only its coordinator's
// messages and its user's jobs, the console only its coordinator's answers and its user's
// input. The coordinator, long-running and reading every console, keeps the default.
// Remote pools (SSH, Slurm) start on that host's Node without it.
//
// Any changed V8 flag also makes V8 refuse Node's own code cache for its built-in modules:
// each one loaded after start-up is compiled from source. So these processes load as few
// as they can (scripts/bundle.mjs keeps node:module out; test/e2e/quick-start.test.ts checks).

export const QUICK_START_FLAGS: readonly string[] = ['--no-rehash-snapshot'];

/**
 * A local pool's flags: those, and --no-opt. A pool lives for jobs_pool jobs, long enough
 * for V8 to start optimizing its hottest functions with TurboFan on a background thread and
 * too short for that to pay off: in `perf record -a` of 3,000 jobs at -n 50 (output on
 * tmpfs), TurboFan's compile jobs were 11.7% of the pools' CPU; without them the run took
 * 4.38-4.62 s instead of 4.68-4.93 s (three interleaved pairs). The pool's per-job work is
 * mostly system calls, which run the same either way. Not for the console: a one-shot
 * command never gets hot, and `status-all` of 100,000 jobs does, and gains from TurboFan.
 */
export const POOL_NODE_FLAGS: readonly string[] = [...QUICK_START_FLAGS, '--no-opt'];
