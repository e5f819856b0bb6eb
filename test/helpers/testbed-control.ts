// Acting on a test host or Slurm node as a test does to a real machine: its network link
// down and up, its sshd stopped and started, a reboot (every process but PID 1 killed, the
// daemon started again; its disks stay).

import fs from 'node:fs';
import { exec } from './testbed-exec.js';
import { daemonPid, processesOnHost } from './testbed-proc.js';
import type { Box, SshHost } from './testbed-state.js';
import { waitFor } from './wait.js';

async function ip(args: readonly string[]): Promise<void> {
  const r = await exec(['ip', ...args]);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
}

/**
 * Takes the box's link down (its veth's end on the bridge): a silent partition, as a pulled
 * cable: packets are dropped, nothing is refused. ssh to it fails with 255 after ConnectTimeout
 * (5 s); an open session's client exits 255 after ~3-4 s (ServerAlive 1 s × 3).
 */
export async function linkDown(box: Box): Promise<void> {
  await ip(['link', 'set', box.vethBridge, 'down']);
}

/**
 * Brings the box's link back. A Slurm node's slurmd is then asked to register again (SIGHUP),
 * so that a node Slurm marked DOWN returns to service (ReturnToService=2) within a second
 * rather than at Slurm's next registration poll (20 pings: up to ~20 × SlurmdTimeout/3 s).
 */
export async function linkUp(box: Box): Promise<void> {
  await ip(['link', 'set', box.vethBridge, 'up']);
  if (box.kind === 'node') {
    const pid = daemonPid(box);
    if (pid !== null) process.kill(pid, 'SIGHUP');
  }
}

/** Whether the host's sshd listens on its address (its network namespace's /proc/net/tcp). */
export function sshdListening(h: Box): boolean {
  const hex = h.address.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).reverse().join('').toUpperCase();
  let table: string;
  try {
    table = fs.readFileSync(`/proc/${h.pid}/net/tcp`, 'utf8');
  } catch {
    return false;
  }
  return table.split('\n').some((l) => l.includes(` ${hex}:0016 00000000:0000 0A `));
}

/** Stops the host's sshd listener (SIGTERM); sessions already open go on, as on a real host. */
export async function stopSshd(h: SshHost): Promise<void> {
  const pid = daemonPid(h);
  if (pid !== null) process.kill(pid, 'SIGTERM');
  await waitFor(`sshd of ${h.name} to stop`, () => !sshdListening(h) && daemonPid(h) === null);
}

/** Starts the host's sshd again (init.pl does it on SIGUSR1) and waits until it listens. */
export async function startSshd(h: SshHost): Promise<void> {
  process.kill(h.pid, 'SIGUSR1');
  await waitFor(`sshd of ${h.name} to listen`, () => sshdListening(h));
}

/**
 * Reboots the box: init.pl kills every other process of it (SIGKILL), then starts its daemon
 * again. Its disks (/srv/jms, /scratch/jms, /root/.cache, /tmp) are kept.
 */
export async function rebootHost(box: Box): Promise<void> {
  const before = daemonPid(box);
  process.kill(box.pid, 'SIGUSR2');
  await waitFor(`${box.name} to reboot`, () => {
    const now = daemonPid(box);
    return now !== null && now !== before && processesOnHost(box).length === 0;
  });
  if (box.kind === 'host') await waitFor(`sshd of ${box.name} to listen`, () => sshdListening(box));
}
