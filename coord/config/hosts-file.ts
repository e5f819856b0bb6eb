// The hosts file (`jms_coord --hosts <file>`) read from its text. The file is YAML
// with one key, `hosts`, a list of hosts: the coordinator's own machine (`local`), machines
// reached over ssh, and Slurm clusters. Every mistake in it is reported with its line and
// field, all of them at once; coord/config/host-entry.ts reads one host, and
// coord/config/host-spec.ts has the types.

import { isMap } from 'yaml';
import { scalarText } from '../../protocol/yaml-read.js';
import { type Field, isEmpty, listOf, loadYaml, mapOf, type Source } from '../../protocol/yaml-source.js';
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
  checkUniqueNames(src, items);
  const hosts: HostSpec[] = [];
  for (const item of items.slice(0, MAX_HOSTS)) {
    const host = readHost(src, item);
    if (host !== null) hosts.push(host);
  }
  if (src.errors.length > 0) return { errors: src.report() };
  if (!hosts.some((h) => h.kind === 'local')) hosts.unshift(defaultLocalHost());
  return { hosts };
}

/** Each host has a name of its own (checked on every entry, even one with other mistakes). */
function checkUniqueNames(src: Source, items: readonly Field[]): void {
  const seen = new Map<string, string>();
  for (const item of items) {
    const node = isMap(item.node) ? item.node.get('name', true) : undefined;
    const name = scalarText(node);
    if (name === null) continue;
    const line = src.lineOf(node, item.line);
    const earlier = seen.get(name);
    if (earlier === undefined) seen.set(name, `${item.path} (line ${line})`);
    else src.fail(line, `${item.path}.name`, `'${name}' is already the name of ${earlier}; give each host its own name`);
  }
}
