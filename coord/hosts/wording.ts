// Sentences about hosts: why a job's tags (or its timeout) fit no host, and what a
// queued job waits for.

import { needSec, timeFits } from '../core/allocations.js';
import { fits } from '../core/scheduler.js';
import { formatDuration } from '../../protocol/duration.js';
import type { Host } from './host.js';

function listTags(host: Host): string {
  return `${host.name} (${host.tags.size === 0 ? 'no tags' : [...host.tags].join(', ')})`;
}

function needsText(needs: readonly string[]): string {
  return needs.map((n) => (n.startsWith('!') ? `not ${n.slice(1)}` : n)).join(', ');
}

/** A submit whose tags no host has: the hosts and their tags. */
export function noHostFits(needs: readonly string[], hosts: readonly Host[]): string {
  return `No host fits --needs ${needs.join(',')} (${needsText(needs)}); the hosts are ${hosts.map(listTags).join(', ')}. ` +
    "Change --needs, or add the tags to a host in the hosts file.";
}

/**
 * A submit with a --timeout too long for every host its tags fit (a cluster whose pools
 * may run at most `time`): why, or null when some host can take it.
 */
export function timeRefusal(opts: { needs?: readonly string[]; timeoutSec?: number }, hosts: readonly Host[], graceMs: number): string | null {
  const need = needSec(opts.timeoutSec, graceMs);
  if (need === undefined) return null;
  const fitting = hosts.filter((h) => fits(opts.needs ?? [], h.tags));
  if (fitting.length === 0 || fitting.some((h) => timeFits(need, h.maxTimeSec()))) return null;
  const limits = fitting.map((h) => `${h.name} at most ${formatDuration(h.maxTimeSec() ?? 0)}`).join(', ');
  return `No host can run a job for --timeout ${formatDuration(opts.timeoutSec ?? 0)}: with the grace and the pool's start it needs a pool ` +
    `for ${formatDuration(need)}, and the hosts that fit its tags allow ${limits} (time: in the hosts file, or the partition's limit). ` +
    'Give a shorter --timeout, or raise the limit.';
}

/** Why one fitting host does not take the job now. */
function whyNot(host: Host, now: number): string {
  switch (host.state) {
    case 'down':
      return `${host.name} is down${host.why === null ? '' : ` (${host.why})`}`;
    case 'connecting':
      return `${host.name} is being connected`;
    case 'off':
    case 'draining':
      return `${host.name} is switched off (host-on ${host.name})`;
    case 'up':
      if (!host.windowOpen(now)) return `${host.name} is outside its run windows`;
      if (host.launcher.allocator !== undefined && host.fleet.size >= host.maxPools) {
        return `${host.name} has all its ${host.maxPools} pools (Slurm jobs) in use or waiting for Slurm`;
      }
      return `${host.name} has no free slot (${host.running()} of ${host.slots} in use)`;
  }
}

/** `waiting for h1 (no free slot: 2 of 2 in use) or h2 (down: …)`. */
export function waitingFor(hosts: readonly Host[], now: number): string {
  if (hosts.length === 0) return 'no host has the tags it needs';
  return `waiting for ${hosts.map((h) => whyNot(h, now)).join('; or ')}`;
}

