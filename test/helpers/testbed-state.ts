// The test bed's state file: its format (written by test/testbed/up.sh) and the one reader
// that turns it into types. No processes here; test/helpers/testbed.ts acts on what it reads.
//
// Path: $JMS_TESTBED, default /run/jms-testbed/testbed.json. Format (version 1):
//   { "version": 1, "createdAt": "…Z", "base": "/var/lib/jms-testbed",
//     "bridge": { "name": "jms-br0", "address": "10.231.0.1", "prefix": 24 },
//     "ssh": { "config": "<ssh -F file>", "identity": "<private key>", "knownHosts": "<file>",
//              "hosts": [ { "name": "h1", "address": "10.231.0.11", "netns": "jms-h1",
//                           "vethHost": "eth0", "vethBridge": "jv-h1", "pid": <PID 1, as seen here>,
//                           "log": "<boot + sshd log>",
//                           "dirs": { "srv": "<backs /srv/jms>", "cache": "<backs /root/.cache>",
//                                     "tmp": "<backs /tmp>" } }, …h2, h3 ] },
//     "slurm": { "conf": "<slurm.conf>", "env": { "SLURM_CONF": "<slurm.conf>" },
//                "partition": "debug", "slurmdTimeout": 6,
//                "controller": { "host": "<this machine's short name>", "address": "10.231.0.1",
//                                "pid": <slurmctld>, "log": "<slurmctld.log>" },
//                "nodes": [ { "name": "n1", "address": "10.231.0.21", "netns": "jms-n1",
//                             "vethHost": "eth0", "vethBridge": "jv-n1", "pid": <PID 1>, "log": "…",
//                             "cpus": 4, "features": ["big", "tagA"], "slurmdLog": "…",
//                             "dirs": { "scratch": "<backs /scratch/jms>", "cache": "…", "tmp": "…" } },
//                           …n2 (features ["small"]) ] } }
// A part that could not come up is { "unavailable": "<reason naming what is missing>" }.

import fs from 'node:fs';
import { Fields } from '../../protocol/fields.js';

export const STATE_PATH = process.env['JMS_TESTBED'] ?? '/run/jms-testbed/testbed.json';

/** What SSH hosts and Slurm nodes share: a machine of the test bed, in its own namespaces. */
export interface Box {
  /** An SSH test host or a Slurm node. */
  kind: 'host' | 'node';
  name: string;
  address: string;
  /** Network namespace, under /run/netns. */
  netns: string;
  /** The veth's end inside the box, and its end on the bridge (what linkDown sets down). */
  vethHost: string;
  vethBridge: string;
  /** The box's PID 1 (init.pl) as seen from this machine: `nsenter -t <pid>`. */
  pid: number;
  log: string;
}

export interface SshHost extends Box {
  /** Real directories behind the host's /srv/jms, /root/.cache and /tmp. */
  dirs: { srv: string; cache: string; tmp: string };
}

export interface SshBed {
  /** `ssh -F <config> h1`: User root, BatchMode, StrictHostKeyChecking, keepalives 1 s × 3. */
  config: string;
  identity: string;
  knownHosts: string;
  hosts: SshHost[];
}

export interface SlurmNode extends Box {
  cpus: number;
  features: string[];
  slurmdLog: string;
  /** Real directories behind the node's /scratch/jms, /root/.cache and /tmp. */
  dirs: { scratch: string; cache: string; tmp: string };
}

export interface SlurmBed {
  conf: string;
  /** Merge into every Slurm command's environment. */
  env: { SLURM_CONF: string };
  partition: string;
  /** Seconds after which slurmctld marks a silent node DOWN. */
  slurmdTimeout: number;
  controller: { host: string; address: string; pid: number; log: string };
  nodes: SlurmNode[];
}

export type Part<T> = T | { unavailable: string };

export interface TestbedState {
  ssh: Part<SshBed>;
  slurm: Part<SlurmBed>;
}

export function isUnavailable<T extends object>(p: Part<T>): p is { unavailable: string } {
  return 'unavailable' in p;
}

function box(f: Fields, kind: Box['kind']): Box {
  return {
    kind, name: f.str('name'), address: f.str('address'), netns: f.str('netns'),
    vethHost: f.str('vethHost'), vethBridge: f.str('vethBridge'), pid: f.int('pid', 1), log: f.str('log'),
  };
}

function list<T>(f: Fields, name: string, read: (item: Fields) => T): T[] {
  const v = f.raw(name);
  if (!Array.isArray(v)) throw new Error(`'${name}' must be a list`);
  return v.map((item: unknown, i) => read(new Fields(item, `${name}[${i}]`)));
}

function sshBed(f: Fields): SshBed {
  return {
    config: f.str('config'), identity: f.str('identity'), knownHosts: f.str('knownHosts'),
    hosts: list(f, 'hosts', (h) => {
      const d = h.obj('dirs');
      return { ...box(h, 'host'), dirs: { srv: d.str('srv'), cache: d.str('cache'), tmp: d.str('tmp') } };
    }),
  };
}

function slurmNode(n: Fields): SlurmNode {
  const d = n.obj('dirs');
  const features = n.raw('features');
  if (!Array.isArray(features) || !features.every((x: unknown) => typeof x === 'string')) {
    throw new Error(`'features' of node ${n.str('name')} must be a list of strings`);
  }
  return {
    ...box(n, 'node'), cpus: n.int('cpus', 1), features: features.map(String), slurmdLog: n.str('slurmdLog'),
    dirs: { scratch: d.str('scratch'), cache: d.str('cache'), tmp: d.str('tmp') },
  };
}

function slurmBed(f: Fields): SlurmBed {
  const c = f.obj('controller');
  return {
    conf: f.str('conf'), env: { SLURM_CONF: f.obj('env').str('SLURM_CONF') }, partition: f.str('partition'),
    slurmdTimeout: f.int('slurmdTimeout', 1),
    controller: { host: c.str('host'), address: c.str('address'), pid: c.int('pid', 1), log: c.str('log') },
    nodes: list(f, 'nodes', slurmNode),
  };
}

function part<T>(f: Fields, name: string, read: (f: Fields) => T): Part<T> {
  const p = f.obj(name);
  return p.has('unavailable') ? { unavailable: p.str('unavailable') } : read(p);
}

/** The state file, or why there is none to use (never started, unreadable, malformed). */
export function loadState(path = STATE_PATH): TestbedState | { missing: string } {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    const why = err instanceof Error && 'code' in err && err.code === 'ENOENT' ? 'it does not exist' : String(err);
    return { missing: `the test bed was not started (${path}: ${why}): run make test, or test/testbed/up.sh as root` };
  }
  try {
    const f = new Fields(JSON.parse(text) as unknown, path);
    if (f.int('version') !== 1) throw new Error(`it is of version ${f.int('version')}, not 1`);
    return { ssh: part(f, 'ssh', sshBed), slurm: part(f, 'slurm', slurmBed) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { missing: `the test bed's state file ${path} is malformed (${why}): run test/testbed/up.sh again` };
  }
}
