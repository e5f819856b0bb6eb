// Sentences about hosts: why a job's tags fit no host, and what a queued job waits for.

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
      return `${host.name} has no free slot (${host.running()} of ${host.slots} in use)`;
  }
}

/** `waiting for h1 (no free slot: 2 of 2 in use) or h2 (down: …)`. */
export function waitingFor(hosts: readonly Host[], now: number): string {
  if (hosts.length === 0) return 'no host has the tags it needs';
  return `waiting for ${hosts.map((h) => whyNot(h, now)).join('; or ')}`;
}

