// Signals to a job's whole process group (a job leads its own: pool/spawn/types.ts).

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
