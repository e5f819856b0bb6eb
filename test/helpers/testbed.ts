// The test bed for e2e tests (test/testbed/up.sh, started by `make test`): SSH test hosts
// h1..h3 and a Slurm cluster with nodes n1, n2, each in its own network, UTS, mount and PID
// namespaces on this machine. This file gets them for a test (or skips it, loudly, naming
// what is missing) and acts on them. The state file's format and the types are in
// testbed-state.ts; everything is exported from here:
//
//   const bed = sshHosts(t); if (bed === null) return;   // SshBed, or skipped (failed in CI)
//   const h1 = host(bed, 'h1');                          // SshHost: address, pid, dirs.srv …
//   await ssh(bed, h1, 'hostname')                        // ssh -F <config> -T h1 … → Ran
//   sshOptions(bed)                                       // ['-F', <config>]: a hosts file's ssh_options
//   await onHost(h1, ['sh', '-c', '…'])                   // nsenter into h1's namespaces → Ran
//   procStateOnHost(h1, pid) / aliveOnHost(h1, pid)       // 'S', 'T', 'Z' … or null; boolean
//   processesOnHost(h1)                                   // [] when nothing is left on h1
//   await linkDown(h1); await linkUp(h1)                  // also for Slurm nodes
//   await stopSshd(h1); await startSshd(h1); await rebootHost(h1)
//   const cl = slurm(t); if (cl === null) return;        // SlurmBed: env.SLURM_CONF, nodes …
//   await srun(cl, ['-C', 'big', 'hostname'])             // srun -p debug … → Ran
//   await squeue(cl) / await sinfo(cl)                    // [] when no job is left / node states
//   await exec(argv, { env: cl.env, input, timeoutMs })   // any program → Ran
//   await holdBoxes(t, [h1, n1], [h2])                    // shared h1, n1; h2 alone (see below)
//
// Suites run two at a time: each test holds the boxes it uses (holdBoxes, released at its
// teardown), exclusive when it disturbs them or checks that nothing is left on them, so it
// never takes a link down under another suite's test.
// Where a part is unavailable the test is skipped with the reason; with CI=true or
// JMS_TESTBED_REQUIRE=1 it fails instead, since CI's machines can run all of it.

import type { Test } from 'tap';
import fs from 'node:fs';
import { ROOT } from './coord.js';
import { exec, type ExecOptions, type Ran } from './testbed-exec.js';
import {
  isUnavailable, loadState, type Box, type Part, type SlurmBed, type SlurmNode, type SshBed, type SshHost,
  type TestbedState,
} from './testbed-state.js';

const REQUIRED = process.env['CI'] === 'true' || process.env['JMS_TESTBED_REQUIRE'] === '1';

function usable<T extends object>(t: Test, what: string, pick: (s: TestbedState) => Part<T>): T | null {
  const s = loadState();
  let reason: string;
  if ('missing' in s) reason = s.missing;
  else {
    const p = pick(s);
    if (!isUnavailable(p)) return p;
    reason = `${what} unavailable: ${p.unavailable}`;
  }
  if (REQUIRED) t.fail(`${reason} (required here: CI=true or JMS_TESTBED_REQUIRE=1)`);
  else t.pass(reason, { skip: reason });
  return null;
}

/** The SSH test hosts, or null after skipping the test (failing it in CI) with the reason. */
export function sshHosts(t: Test): SshBed | null {
  return usable(t, 'the SSH test hosts', (s) => s.ssh);
}

/** The Slurm cluster, or null after skipping the test (failing it in CI) with the reason. */
export function slurm(t: Test): SlurmBed | null {
  // The nodes run this checkout's pool program from the shared filesystem; each has its own /tmp.
  if (fs.realpathSync(ROOT).startsWith('/tmp/')) {
    const reason = `the Slurm test cluster cannot see this checkout (${ROOT}): it is under /tmp, which each node has its own; clone it elsewhere`;
    if (REQUIRED) t.fail(reason);
    else t.pass(reason, { skip: reason });
    return null;
  }
  return usable(t, 'the Slurm test cluster', (s) => s.slurm);
}

export function host(bed: SshBed, name: string): SshHost {
  const h = bed.hosts.find((x) => x.name === name);
  if (h === undefined) throw new Error(`no test host ${name} (there are ${bed.hosts.map((x) => x.name).join(', ')})`);
  return h;
}

export function node(bed: SlurmBed, name: string): SlurmNode {
  const n = bed.nodes.find((x) => x.name === name);
  if (n === undefined) throw new Error(`no Slurm node ${name} (there are ${bed.nodes.map((x) => x.name).join(', ')})`);
  return n;
}

/** `ssh -F <config> -T <host> <command>`: the remote command runs in root's login shell. */
export function ssh(bed: SshBed, to: SshHost | string, command: string, opts: ExecOptions = {}): Promise<Ran> {
  return exec(['ssh', ...sshOptions(bed), '-T', typeof to === 'string' ? to : to.name, command], opts);
}

/** The ssh arguments that reach the test hosts (a hosts file's `ssh_options`). */
export function sshOptions(bed: SshBed): string[] {
  return ['-F', bed.config];
}

/** Runs argv inside a host's or node's namespaces (network, hostname, mounts, PIDs). */
export function onHost(box: Box, argv: readonly string[], opts: ExecOptions = {}): Promise<Ran> {
  const wd = opts.cwd === undefined ? [] : [`--wd=${opts.cwd}`];
  const inner: ExecOptions = { ...opts };
  delete inner.cwd;
  return exec(['nsenter', '-t', String(box.pid), '--net', '--uts', '--mount', '--pid', ...wd, '--', ...argv], inner);
}

export * from './testbed-state.js';
export * from './testbed-exec.js';
export * from './testbed-proc.js';
export * from './testbed-control.js';
export * from './testbed-slurm.js';
export * from './testbed-hold.js';
