// Sentences about hosts: why a job's tags (or its timeout) fit no host, and what a
// queued job waits for.

import { featuresOf, needSec, nodeFits, timeFits } from '../core/allocations.js';
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

/** Why a host whose tags fit a job can never run it (a cluster: its time limit, its kinds of node), or null. */
function cannotRun(host: Host, needs: readonly string[], timeoutSec: number | undefined, graceMs: number): string | null {
  const allocator = host.launcher.allocator;
  if (allocator === undefined) return null;
  const need = needSec(timeoutSec, graceMs);
  const max = host.maxTimeSec();
  if (!timeFits(need, max)) {
    return `${host.name} runs pools for at most ${formatDuration(max ?? 0)} (time: in the hosts file, or the partition's limit), ` +
      `and --timeout ${formatDuration(timeoutSec ?? 0)} with the grace and the pool's start needs ${formatDuration(need ?? 0)}`;
  }
  const features = featuresOf(needs, allocator.features());
  const kinds = allocator.nodeKinds();
  if (nodeFits(kinds, features)) return null;
  return `no node of ${host.name} has all of ${features.join(', ')} (its nodes have ${kinds.map((k) => [...k].join(',') || 'no features').join('; ')})`;
}

/**
 * A submit no host can ever run, though some have its tags (its --timeout is longer than
 * a cluster allows, or no node of the cluster has all its features): why, or null.
 */
export function placeRefusal(opts: { needs?: readonly string[]; timeoutSec?: number }, hosts: readonly Host[], graceMs: number): string | null {
  const fitting = hosts.filter((h) => fits(opts.needs ?? [], h.tags));
  const whys: string[] = [];
  for (const h of fitting) {
    const why = cannotRun(h, opts.needs ?? [], opts.timeoutSec, graceMs);
    if (why === null) return null;
    whys.push(why);
  }
  return whys.length === 0 ? null : `No host can run this job: ${whys.join('; ')}. Change --timeout or --needs, or the hosts file.`;
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

