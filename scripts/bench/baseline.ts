// The Node baseline of `make bench`: spawns N copies of a command with at most P of them
// running at once, and nothing else (no files, no pipes, no bookkeeping beyond a count).
//
//   node dist/scripts/bench/baseline.js <N> <P> <command> [args…]
//
// Exit status 0 when every copy exited 0, 1 otherwise (with one line on stderr).

import { spawn } from 'node:child_process';

function main(): void {
  const [nArg, pArg, command, ...args] = process.argv.slice(2);
  const n = Number(nArg);
  const p = Number(pArg);
  if (!Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(p) || p < 1 || command === undefined) {
    process.stderr.write('usage: baseline.js <N ≥ 1> <P ≥ 1> <command> [args…]\n');
    process.exit(2);
  }
  let started = 0;
  let running = 0;
  let done = 0;
  let failed = 0;
  const next = (): void => {
    while (running < p && started < n) {
      started += 1;
      running += 1;
      const child = spawn(command, args, { stdio: 'ignore' });
      child.on('error', (err) => {
        process.stderr.write(`baseline: cannot run ${command}: ${err.message}\n`);
        process.exit(1);
      });
      child.on('exit', (code) => {
        running -= 1;
        done += 1;
        if (code !== 0) failed += 1;
        if (done === n) {
          if (failed > 0) process.stderr.write(`baseline: ${failed} of ${n} runs failed\n`);
          process.exit(failed > 0 ? 1 : 0);
        }
        next();
      });
    }
  };
  next();
}

main();
