// show-hosts: every host with its state, tags, slots and pools. host-off <name>: no new
// jobs there, running ones finish (draining, then off); host-on <name>: back in use.

import type { BatchItem, HostInfo, Request } from '../../../protocol/messages.js';
import type { Coordinator } from '../../engine/coordinator.js';
import type { Host } from '../../hosts/host.js';
import type { Answer } from '../dispatch.js';

export function hostInfo(coord: Coordinator, host: Host): HostInfo {
  const now = coord.clock.now();
  return {
    name: host.name, kind: host.spec.kind, state: host.state, why: host.why, tags: [...host.tags], slots: host.slots,
    used: host.running(), pools: host.fleet.size, cost: host.spec.cost, pause: coord.hostPause(host.name),
    windowOpen: host.windowOpen(now),
  };
}

export function showHosts(coord: Coordinator): Answer {
  return { items: [...coord.hosts.values()].map((h): BatchItem => ({ kind: 'host', host: hostInfo(coord, h) })) };
}

export function switchHost(coord: Coordinator, req: Extract<Request, { kind: 'host-off' | 'host-on' }>): Answer {
  const host = coord.switchHost(req.host, req.kind === 'host-off');
  return { reply: { kind: 'host-switched', id: req.id, host: host.name, state: host.state, running: host.running() } };
}
