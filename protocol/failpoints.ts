// Failpoints for crash tests: JMS_FAILPOINTS=<name>[,<name>…] makes a process stop
// itself (SIGSTOP) when it reaches the named point, so a test can SIGKILL it exactly
// there, deterministically, instead of hoping a random kill lands in a window. Unset,
// each point costs one Set lookup. The names are listed where they are reached:
//   after-dispatch    coordinator: a job's dispatch decided, its record not yet on disk
//   before-run-sent   coordinator: the dispatch is on disk, the run frame not yet sent
//   after-run-sent    coordinator: a run frame has just been written to a pool (flushed)
//   pool-boot         pool: started, nothing read from the coordinator yet

const armed = new Set((process.env['JMS_FAILPOINTS'] ?? '').split(',').filter((n) => n !== ''));

/** `before`: what must have happened when the process stops there (run only then). */
export function failpoint(name: string, before?: () => void): void {
  if (!armed.has(name)) return;
  before?.();
  process.stderr.write(`failpoint ${name}: process ${process.pid} stops here\n`);
  process.kill(process.pid, 'SIGSTOP');
}
