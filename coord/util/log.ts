// The coordinator's log: one timestamped line per event, on stderr.

export function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} jms_coord[${process.pid}]: ${message}\n`);
}
