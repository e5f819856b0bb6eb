// One entry of the hosts file (coord/config/hosts-file.ts) read into a HostSpec: which kind
// of host it is (local, ssh, slurm), the keys that kind takes, and each value checked.

import { MAX_DURATION_SEC } from '../../protocol/duration.js';
import { amount, bool, duration, text, texts, whole, windows, word, words } from '../../protocol/yaml-read.js';
import { type Field, mapOf, type Source } from '../../protocol/yaml-source.js';
import { DEFAULT_CACHE, DEFAULT_COST, DEFAULT_NODE, type HostBase, type HostSpec, LOCAL_HOST, type SlurmSpec } from './host-spec.js';

export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const TAG = /^[A-Za-z0-9_.-]+$/;
export const TAG_FORM = "a tag (letters, digits, '.', '_' and '-')";
const NAME_FORM = "a host name (letters, digits, '.', '_' and '-', starting with a letter or digit)";
const SSH_DEST = /^[^\s-]\S*$/;
const SSH_FORM = 'an ssh destination such as user@host or a Host of your ssh config';
const REMOTE_PATH_FORM = "an absolute path or one starting with '~/'";
const SLURM_WORD = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SLURM_FORM = "a Slurm name (letters, digits, '.', '_' and '-')";

const COMMON_KEYS = ['name', 'tags', 'slots', 'cost', 'windows', 'suspend_outside'] as const;
const SSH_KEYS = [...COMMON_KEYS, 'ssh', 'ssh_options', 'dir', 'node', 'cache'];
const SLURM_KEYS = [...COMMON_KEYS, 'slurm', 'login', 'ssh_options', 'dir', 'node', 'cache'];
const ALL_KEYS = [...new Set([...SSH_KEYS, ...SLURM_KEYS])];
const SLURM_SPEC_KEYS = ['partition', 'account', 'qos', 'time', 'cpus', 'max_pools'];

const MAX_SLOTS = 10_000;
const MAX_COST = 1_000_000;
const MAX_SLURM_POOLS = 1000;
const MAX_CPUS = 4096;

type Kind = HostSpec['kind'];
type Entries = Map<string, Field>;

/** The value of `key` read by `read`, `otherwise` when the entry leaves it out, null on a mistake. */
function optional<T>(m: Entries, key: string, read: (v: Field) => T | null, otherwise: T): T | null {
  const v = m.get(key);
  return v === undefined ? otherwise : read(v);
}

/** The host `f` describes, or null when it has mistakes (each recorded in `src`). */
export function readHost(src: Source, f: Field): HostSpec | null {
  const before = src.errors.length;
  const m = mapOf(src, f, ALL_KEYS, 'a host: a map with a name and ssh: or slurm:');
  if (m === null) return null;
  const nameF = m.get('name');
  if (nameF === undefined) src.fail(f.line, `${f.path}.name`, `is missing; write name: ${NAME_FORM}`);
  const name = nameF === undefined ? null : word(src, nameF, HOST_NAME, NAME_FORM);
  const kind = kindOf(src, f, m, name);
  if (kind === null || name === null) return null;
  checkKeys(src, m, kind);
  const host = withKind(src, m, kind, readBase(src, f, m, kind, name));
  return src.errors.length > before ? null : host;
}

function kindOf(src: Source, f: Field, m: Entries, name: string | null): Kind | null {
  const ssh = m.get('ssh');
  const slurm = m.get('slurm');
  if (ssh !== undefined && slurm !== undefined) {
    src.fail(slurm.line, slurm.path, 'a host is reached either over ssh: or through slurm:, not both; for a cluster behind a login node write login: instead of ssh:');
    return null;
  }
  if (name === LOCAL_HOST && (ssh ?? slurm) !== undefined) {
    src.fail(f.line, `${f.path}.name`, `'${LOCAL_HOST}' is the coordinator's own machine; give this ${ssh !== undefined ? 'ssh' : 'slurm'} host another name`);
    return null;
  }
  if (ssh !== undefined) return 'ssh';
  if (slurm !== undefined) return 'slurm';
  if (name === LOCAL_HOST) return 'local';
  if (name !== null) src.fail(f.line, f.path, `host '${name}' needs ssh: <destination> or slurm: {partition: …}; only '${LOCAL_HOST}' is the coordinator's own machine`);
  return null;
}

function checkKeys(src: Source, m: Entries, kind: Kind): void {
  const allowed: readonly string[] = kind === 'local' ? COMMON_KEYS : kind === 'ssh' ? SSH_KEYS : SLURM_KEYS;
  for (const [key, v] of m) {
    if (allowed.includes(key)) continue;
    if (kind === 'local') src.fail(v.line, v.path, `is not for the local host, which takes only ${COMMON_KEYS.join(', ')}; remove it`);
    else src.fail(v.line, v.path, `is only for ${kind === 'ssh' ? 'slurm' : 'ssh'} hosts; remove it`);
  }
}

/** The keys every kind shares; values with mistakes come back as their defaults (the mistakes are recorded). */
function readBase(src: Source, f: Field, m: Entries, kind: Kind, name: string): HostBase {
  const tags = optional(m, 'tags', (v) => words(src, v, TAG, TAG_FORM), []);
  const slots = optional(m, 'slots', (v) => whole(src, v, 1, MAX_SLOTS), null);
  const cost = optional(m, 'cost', (v) => amount(src, v, MAX_COST), DEFAULT_COST[kind]);
  const runWindows = optional(m, 'windows', (v) => windows(src, v), null);
  const suspendOutside = optional(m, 'suspend_outside', (v) => bool(src, v), false);
  const dir = kind === 'local' ? null : optional(m, 'dir', (v) => remotePath(src, v), null);
  const so = m.get('suspend_outside');
  if (suspendOutside === true && so !== undefined && !m.has('windows')) {
    src.fail(so.line, so.path, 'needs windows: to say when jobs may run; add windows: or remove suspend_outside');
  }
  return {
    name, tags: tags ?? [], slots, dir, cost: cost ?? DEFAULT_COST[kind], windows: runWindows,
    suspendOutside: suspendOutside ?? false, line: f.line,
  };
}

function remotePath(src: Source, f: Field): string | null {
  const p = text(src, f, REMOTE_PATH_FORM, 4095);
  if (p === null) return null;
  if (!p.startsWith('/') && !p.startsWith('~/')) {
    src.fail(f.line, f.path, `must be ${REMOTE_PATH_FORM}, not '${p}'`);
    return null;
  }
  return p;
}

function withKind(src: Source, m: Entries, kind: Kind, base: HostBase): HostSpec | null {
  if (kind === 'local') return { ...base, kind };
  const node = optional(m, 'node', (v) => word(src, v, /^\S+$/, 'a Node.js program (a name or a path, without spaces)'), DEFAULT_NODE);
  const cache = optional(m, 'cache', (v) => remotePath(src, v), DEFAULT_CACHE);
  const sshOptions = optional(m, 'ssh_options', (v) => texts(src, v, 'ssh arguments such as [-F, /path/to/ssh_config]'), []);
  if (kind === 'ssh') {
    const sshF = m.get('ssh');
    const ssh = sshF === undefined ? null : word(src, sshF, SSH_DEST, SSH_FORM);
    if (ssh === null || node === null || cache === null || sshOptions === null) return null;
    return { ...base, kind, ssh, sshOptions, node, cache };
  }
  const login = optional(m, 'login', (v) => word(src, v, SSH_DEST, SSH_FORM), null);
  const slurmF = m.get('slurm');
  const slurm = slurmF === undefined ? null : readSlurm(src, slurmF);
  if (slurm === null || node === null || cache === null || sshOptions === null) return null;
  return { ...base, kind, slurm, login, sshOptions, node, cache };
}

function readSlurm(src: Source, f: Field): SlurmSpec | null {
  const before = src.errors.length;
  const m = mapOf(src, f, SLURM_SPEC_KEYS, 'a map such as {partition: debug, max_pools: 8}');
  if (m === null) return null;
  const slurmWord = (v: Field): string | null => word(src, v, SLURM_WORD, SLURM_FORM);
  const partitionF = m.get('partition');
  if (partitionF === undefined) src.fail(f.line, `${f.path}.partition`, 'is missing; write partition: <the Slurm partition to run pools in>');
  const partition = partitionF === undefined ? null : slurmWord(partitionF);
  const account = optional(m, 'account', slurmWord, null);
  const qos = optional(m, 'qos', slurmWord, null);
  const timeSec = optional(m, 'time', (v) => duration(src, v, MAX_DURATION_SEC), null);
  const cpus = optional(m, 'cpus', (v) => whole(src, v, 1, MAX_CPUS), null);
  const maxPools = optional(m, 'max_pools', (v) => whole(src, v, 1, MAX_SLURM_POOLS), 1);
  if (src.errors.length > before || partition === null || maxPools === null) return null;
  return { partition, account, qos, timeSec, cpus, maxPools };
}
