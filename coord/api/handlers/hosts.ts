// show-hosts: every host with its state, tags, slots and pools. host-off <name>: no new
// jobs there, running ones finish (draining, then off); host-on <name>: back in use.

import type { BatchItem, HostAllocation, HostInfo, Request } from '../../../protocol/messages.js';
import type { Coordinator } from '../../engine/coordinator.js';
import type { Host } from '../../hosts/host.js';
import type { Answer } from '../dispatch.js';

export function hostInfo(coord: Coordinator, host: Host): HostInfo {
  const now = coord.clock.now();
  const info: HostInfo = {
    name: host.name, kind: host.spec.kind, state: host.state, why: host.why, tags: [...host.tags], slots: host.slots,
    used: host.running(), pools: host.fleet.size, cost: host.spec.cost, pause: coord.hostPause(host.name),
    windowOpen: host.windowOpen(now),
  };
  const allocations = allocationsOf(host);
  if (allocations !== null) info.allocations = allocations;
  return info;
}

/** A Slurm host's pools with their Slurm jobs (null for other hosts). */
function allocationsOf(host: Host): HostAllocation[] | null {
  const allocator = host.launcher.allocator;
  if (allocator === undefined) return null;
  const out: HostAllocation[] = [];
  for (const pool of host.fleet.pools.values()) {
    const a = allocator.allocation(pool.key);
    out.push({
      pool: pool.id, id: a?.id ?? null, state: a?.state ?? 'UNKNOWN', reason: a?.reason ?? null, node: a?.node ?? null,
      features: pool.spec.place?.features ?? [], timeSec: pool.spec.place?.timeSec ?? null, jobs: pool.jobs.size,
    });
  }
  return out;
}

export function showHosts(coord: Coordinator): Answer {
  return { items: [...coord.hosts.values()].map((h): BatchItem => ({ kind: 'host', host: hostInfo(coord, h) })) };
}

export function switchHost(coord: Coordinator, req: Extract<Request, { kind: 'host-off' | 'host-on' }>): Answer {
  const host = coord.switchHost(req.host, req.kind === 'host-off');
  return { reply: { kind: 'host-switched', id: req.id, host: host.name, state: host.state, running: host.running() } };
}
