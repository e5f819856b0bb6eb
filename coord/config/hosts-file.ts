// The hosts file (`jms_coord --hosts <file>`) read from its text. The file is YAML
// with one key, `hosts`, a list of hosts: the coordinator's own machine (`local`), machines
// reached over ssh, and Slurm clusters. Every mistake in it is reported with its line and
// field, all of them at once; coord/config/host-entry.ts reads one host, and
// coord/config/host-spec.ts has the types.

import { isEmpty, listOf, loadYaml, mapOf } from '../../protocol/yaml-source.js';
import { readHost } from './host-entry.js';
import { defaultLocalHost, type HostsConfig, type HostSpec, MAX_HOSTS } from './host-spec.js';

export type { HostBase, HostsConfig, HostSpec, SlurmSpec } from './host-spec.js';
export { DEFAULT_CACHE, DEFAULT_COST, DEFAULT_NODE, defaultLocalHost, LOCAL_HOST, MAX_HOSTS } from './host-spec.js';

export function parseHostsFile(text: string, fileName: string): HostsConfig | { errors: string[] } {
  const loaded = loadYaml(text, fileName);
  if ('errors' in loaded) return loaded;
  const { src, root } = loaded;
  if (isEmpty(root)) {
    src.fail(1, '', 'the file is empty; write hosts: followed by a list of hosts, one per machine');
    return { errors: src.report() };
  }
  const top = mapOf(src, root, ['hosts'], 'a map with the key hosts');
  const list = top?.get('hosts');
  if (top !== null && list === undefined) src.fail(root.line, 'hosts', 'is missing; write hosts: followed by a list of hosts, one per machine');
  const items = list === undefined ? [] : (listOf(src, list, 'a list of hosts, each a map with a name') ?? []);
  if (list !== undefined && items.length > MAX_HOSTS) src.fail(list.line, 'hosts', `names ${items.length} hosts, more than the limit of ${MAX_HOSTS}; keep the file to ${MAX_HOSTS}`);
  const hosts: HostSpec[] = [];
  const seen = new Map<string, string>();
  for (const item of items.slice(0, MAX_HOSTS)) {
    const host = readHost(src, item);
    if (host === null) continue;
    const earlier = seen.get(host.name);
    if (earlier !== undefined) {
      src.fail(host.line, `${item.path}.name`, `'${host.name}' is already the name of ${earlier}; give each host its own name`);
      continue;
    }
    seen.set(host.name, `${item.path} (line ${host.line})`);
    hosts.push(host);
  }
  if (src.errors.length > 0) return { errors: src.report() };
  if (!hosts.some((h) => h.kind === 'local')) hosts.unshift(defaultLocalHost());
  return { hosts };
}
