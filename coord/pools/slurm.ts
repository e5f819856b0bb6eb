// A Slurm cluster: every pool is one Slurm job of its own, started with `srun` (here, or
// on the login node over ssh: slurm-shell.ts), its frames on srun's stdin and stdout.
//
// Why one Slurm job per pool, not steps in an allocation JMS holds: Slurm then schedules
// each pool as the cluster's other jobs (a pool asks for just the features and the time
// its jobs need, and waits in the queue like any job, with a reason `status` can show);
// nothing is held while no job needs it; a pool's end, its node's failure, its time limit
// are Slurm's own states of that one job; and cancelling it (scancel) ends exactly that
// pool. A held allocation would pin resources for the whole session, its size fixed
// before the jobs are known, and one node failure would take every step with it.
//
// A pool runs the same program the ssh launcher installs: where srun runs here, this
// installation's dist/pool.bundle.cjs, which the nodes see on the shared filesystem
// (the ledgers then live in the coordinator's own directory, <-l>/.jms/slurm-<host>);
// through a login node, the ssh launcher installs it in the host's cache directory,
// which must be on the cluster's shared filesystem (ledgers: <cache>/ledgers/<site>-<host>).
//
// Slurm jobs are named `jms-<site>-<pool key>` (slurm-commands.ts): at the first start the
// launcher cancels those of its own site that no pool of this coordinator answers for
// (an earlier coordinator's that nobody adopted), and at shutdown every one still there.
// A pool that lost its link is looked for with what Slurm says of its job: pending (its
// pool never started: cancelled), running (re-attached through a step in its job, on its
// node: `srun --jobid --overlap … --attach`), ended (its ledger read, with Slurm's reason:
// NODE_FAIL, TIMEOUT, …).
//
// A job's files live on its node's disk (the cluster's `dir` may be node-local): reading
// its output, staging a batch job's files, archiving what it saved and removing its
// scratch all run on that node, in a step of its pool's Slurm job while that runs, else
// in a small job of its own there (transfer.ts's tar streams, through `srun`).

import fs from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { PoolConfig, PoolEvent } from '../../protocol/pool-messages.js';
import { parsePoolEvent } from '../../protocol/pool-parse.js';
import { LineDecoder } from '../../protocol/codec.js';
import { MAX_FRAME_BYTES } from '../../protocol/messages.js';
import type { LedgerView } from '../../protocol/ledger.js';
import type { SlurmSpec } from '../config/host-spec.js';
import type { Clock } from '../core/clock.js';
import type { AllocationState, Allocator, HostPaths, Launcher, Placement, Probe } from './launcher.js';
import { HostError } from './launcher.js';
import { lastLine, readOutput, type Shell } from './shell.js';
import { checkArea, checkRemovable, collectVia, hostRoots, putVia, removeVia, type HostRoots } from './transfer.js';
import type { LinkListener, PoolLink } from './link.js';
import { attachProbe } from './slurm-attach.js';
import {
  endReason, isOver, isPending, jobName, parsePartition, poolSrunArgs, stepSrunArgs, type Partition,
} from './slurm-commands.js';
import { srunLink } from './slurm-link.js';
import { SlurmQueue } from './slurm-queue.js';
import type { ClusterShell } from './slurm-shell.js';
import { HEARTBEAT_MS } from './ssh.js';

export interface SlurmHostSpec {
  name: string;
  slurm: SlurmSpec;
  tags: readonly string[];
  /** Where job directories go on the nodes. */
  dir: string;
  /** Where the pools keep their ledgers: seen by the nodes and where the tools run. */
  ledgerDir: string;
  /** Names this coordinator's Slurm jobs (slurm-commands.ts siteOf). */
  site: string;
}

export class SlurmLauncher implements Launcher, Allocator {
  readonly host: string;
  readonly paths: HostPaths;
  readonly heartbeatMs = HEARTBEAT_MS;
  readonly allocator: Allocator = this;
  private partition: Partition | null = null;
  private ready: Promise<void> | null = null;
  /** The Slurm jobs of an earlier coordinator have been looked over. */
  private reaped = false;
  /** Until the reap: pools this coordinator answers for (started, or looked for after a restart). */
  private readonly claimed = new Set<string>();
  /** Pools started by this launcher whose link is open: whether their allocation has started. */
  private readonly live = new Map<string, { started: boolean }>();
  /** The node each pool ran on, as squeue said (a finished job's files are read there). */
  private readonly nodes = new Map<string, string>();
  /** Pools whose allocation ended before they started: they left no ledger. */
  private readonly unstarted = new Set<string>();
  private readonly queue: SlurmQueue;
  private allocated: (key: string, id: string) => void = () => undefined;
  /** What was staged on which node (node, area, source): the copy's path there. */
  private readonly staged = new Map<string, Promise<string>>();
  private readonly roots: HostRoots;

  constructor(
    private readonly spec: SlurmHostSpec,
    private readonly shell: ClusterShell,
    readonly leaseMs: number,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
  ) {
    this.host = spec.name;
    this.paths = { outDir: spec.dir, outDirId: null, ledgerDir: spec.ledgerDir };
    this.roots = hostRoots(spec.dir);
    this.queue = new SlurmQueue(shell, spec.site, clock, () => [...this.live.values()].some((p) => !p.started),
      (key, id) => this.allocated(key, id));
  }

  // --- Allocator ---------------------------------------------------------------

  features(): ReadonlySet<string> {
    const offered = this.partition?.features ?? new Set<string>();
    return new Set(this.spec.tags.filter((t) => offered.has(t)));
  }

  maxTimeSec(): number | null {
    const limits = [this.spec.slurm.timeSec, this.partition?.maxTimeSec ?? null].filter((x): x is number => x !== null);
    return limits.length === 0 ? null : Math.min(...limits);
  }

  nodeKinds(): readonly ReadonlySet<string>[] {
    return this.partition?.kinds ?? [];
  }

  waiting(key: string): string | null {
    if (this.live.get(key)?.started !== false) return null;
    const row = this.queue.row(key);
    const id = row?.id ?? this.queue.idOf(key);
    if (id === null) return `waiting for its Slurm job to be queued on ${this.host}`;
    if (row !== undefined && isPending(row.state) && row.reason !== '' && row.reason !== 'None') return `waiting for Slurm job ${id}: ${row.reason}`;
    return `waiting for Slurm job ${id} to start`;
  }

  allocation(key: string): AllocationState | null {
    const row = this.queue.row(key);
    const id = row?.id ?? this.queue.idOf(key);
    const started = this.live.get(key)?.started ?? true;
    const state = row === undefined ? (started ? 'RUNNING' : 'PENDING') : started && isPending(row.state) ? 'RUNNING' : row.state;
    return { id, state, reason: isPending(state) && row !== undefined ? row.reason : null, node: row?.node || null };
  }

  onAllocated(fn: (key: string, id: string) => void): void {
    this.allocated = fn;
  }

  // --- Launcher ----------------------------------------------------------------

  prepare(again = false): Promise<void> {
    if (again) this.ready = null;
    this.ready ??= this.check(again).catch((err: unknown) => {
      this.ready = null;
      throw err;
    });
    return this.ready;
  }

  /** Slurm answers there, the partition exists (its features and time limit); an earlier coordinator's jobs are looked over. */
  private async check(again: boolean): Promise<void> {
    await this.shell.prepare(again);
    const { partition } = this.spec.slurm;
    const info = await this.shell.run(['sinfo', '--noheader', `--partition=${partition}`, '--format=%f|%l']);
    if (info.code !== 0) {
      throw new HostError(`cannot run sinfo ${this.shell.where} for ${this.host} (${lastLine(info.stderr) || `exit ${info.code ?? 'unknown'}`}); Slurm's commands must work there`);
    }
    const found = parsePartition(info.stdout);
    if (found === null) throw new HostError(`${this.host}: Slurm has no partition '${partition}' (sinfo lists no nodes in it); fix partition: in the hosts file`);
    this.partition = found;
    if (!this.reaped) await this.reap();
  }

  /** Cancels this site's Slurm jobs that no pool of this coordinator answers for. */
  private async reap(): Promise<void> {
    const rows = await this.queue.refresh();
    if (rows === null) throw new HostError(this.queue.failure);
    this.reaped = true;
    const stale = [...rows].filter(([key, row]) => !this.claimed.has(key) && !isOver(row.state)).map(([, row]) => row.id);
    this.claimed.clear();
    if (stale.length === 0) return;
    await this.scancel(stale);
    this.log(`${this.host}: cancelled ${stale.length} Slurm job(s) of an earlier coordinator that no pool answered for: ${stale.join(', ')}`);
  }

  private async scancel(ids: readonly string[]): Promise<void> {
    const r = await this.shell.run(['scancel', ...ids]);
    if (r.code !== 0) this.log(`${this.host}: scancel ${ids.join(' ')} failed: ${lastLine(r.stderr)}`);
  }

  /** The pool program on a node (`onNode`: in a pool's job), or where the commands run. */
  private tool(args: readonly string[], onNode = false): string[] {
    return [onNode ? this.shell.node : this.shell.toolNode, this.shell.program, ...args];
  }

  start(config: PoolConfig, listener: LinkListener, place: Placement = { features: [], timeSec: this.maxTimeSec(), whole: true }): PoolLink {
    const { key } = config;
    const name = jobName(this.spec.site, key);
    this.claim(key);
    const state = { started: false };
    this.live.set(key, state);
    const asked = this.clock.now();
    const argv = ['srun', ...poolSrunArgs(this.spec.slurm, place, name), ...this.tool(['--key', key, '--slurm'], true)];
    const link = srunLink((l) => this.shell.link(argv, l), listener, {
      jobId: (id) => {
        this.queue.noteId(key, id);
        // srun says it waits: squeue says why, for the jobs that wait with it.
        if (!state.started) void this.queue.refresh();
      },
      started: () => {
        state.started = true;
        const after = this.clock.now() - asked;
        // Its node, for show-hosts (and the log).
        void this.queue.refresh().then(() => {
          const row = this.queue.row(key);
          if (row !== undefined && row.node !== '') this.nodes.set(key, row.node);
          this.log(`${this.host}: pool ${key} started as Slurm job ${row?.id ?? this.queue.idOf(key) ?? '?'} on ${row?.node || '?'}, ${after} ms after srun`);
        });
      },
      ended: () => {
        if (!state.started) this.unstarted.add(key);
        this.live.delete(key);
      },
      cancel: async () => {
        const r = await this.shell.run(['scancel', '--me', `--name=${name}`]);
        if (r.code !== 0) this.log(`${this.host}: cannot cancel the Slurm job ${name}: ${lastLine(r.stderr)}`);
        else this.log(`${this.host}: cancelled the Slurm job ${name} of pool ${key}, which had not started`);
      },
    });
    this.queue.poll();
    link.send({ kind: 'config', ...config });
    return link;
  }

  /** Registered before any await: the reap (at the first prepare) must see every pool looked for. */
  private claim(key: string): void {
    if (!this.reaped) this.claimed.add(key);
  }

  async probe(key: string, pid: number | null, listener: LinkListener): Promise<Probe> {
    this.claim(key);
    try {
      await this.prepare();
    } catch (err) {
      return { kind: 'unreachable', why: err instanceof Error ? err.message : String(err) };
    }
    const rows = await this.queue.refresh();
    if (rows === null) return { kind: 'unreachable', why: this.queue.failure };
    const row = rows.get(key);
    if (row === undefined) return this.dead(key);
    if (isOver(row.state)) return this.dead(key, endReason(row));
    if (isPending(row.state)) {
      // Its pool never started, and its srun went with the coordinator that started it.
      await this.scancel([row.id]);
      return this.dead(key, `its Slurm job ${row.id} had not started`);
    }
    const found = await attachProbe((l) => this.shell.link(['srun', ...stepSrunArgs(row.id), ...this.tool(['--attach', this.paths.ledgerDir, key, String(pid ?? 0)], true)], l), listener);
    // Its pool is gone while its job lingers: the job goes too, with anything left of it.
    if (found.kind === 'dead') await this.scancel([row.id]);
    return found;
  }

  /** What the ledger of a pool whose Slurm job is over holds. */
  private async dead(key: string, why?: string): Promise<Probe> {
    const r = await this.shell.run(this.tool(['--ledger', this.paths.ledgerDir, key]));
    const event = r.code === 0 ? firstEvent(r.stdout) : null;
    if (event === null || event.kind !== 'absent') {
      return { kind: 'unreachable', why: `cannot read the ledger of pool ${key} ${this.shell.where}: ${lastLine(r.stderr) || 'no answer'}` };
    }
    const ledger: LedgerView | null = event.ledger
      ? { key: event.key, pid: event.pid, orphaned: event.orphaned, jobs: new Map(event.jobs.map((j) => [j.jobId, j])), rejected: 0 }
      : null;
    return why === undefined ? { kind: 'dead', ledger } : { kind: 'dead', ledger, why };
  }

  async ledgers(): Promise<string[] | null> {
    try {
      await this.prepare();
    } catch {
      return null;
    }
    const r = await this.shell.run(this.tool(['--ledgers', this.paths.ledgerDir]));
    if (r.code !== 0) return null;
    try {
      const keys: unknown = JSON.parse(r.stdout);
      return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : null;
    } catch {
      return null;
    }
  }

  async forget(key: string): Promise<void> {
    this.queue.forget(key);
    if (this.unstarted.delete(key)) return;
    const r = await this.shell.run(this.tool(['--forget', this.paths.ledgerDir, key]));
    if (r.code !== 0) this.log(`cannot remove the ledger ${key} of ${this.host}: ${lastLine(r.stderr)}`);
  }

  async killGroups(): Promise<void> {
    // A pool's jobs are processes of its Slurm job: Slurm ends them all when the job ends
    // (and the job of a pool found dead is cancelled), so there is nothing to signal here.
  }

  /**
   * A job's file, read on the node that ran it (its disk may be the node's own): through a
   * step in its pool's Slurm job while that runs (`srun --jobid --overlap`), else through
   * a small Slurm job of its own on that node. The pool program's `--read` tool does the
   * reading, as over ssh; the end of its input tells it to read a last time.
   */
  async *readFile(path: string, lines: number | null, until: Promise<void>, poolKey?: string): AsyncIterable<Buffer> {
    await this.prepare();
    const where = await this.nodeOf(poolKey, `cannot read ${path}`);
    const child = this.shell.spawn(['srun', ...where.srun, ...this.tool(['--read', path, String(lines ?? -1)], true)]);
    const noise = /^srun: (job \d+ (queued|has been allocated)|.*waiting).*$/gm;
    yield* readOutput(child, until, (code, stderr) => `cannot read ${path} on ${this.host}: ${lastLine(stderr.replaceAll(noise, '')) || `srun exited with code ${code ?? 'null'}`}`);
  }

  /**
   * The node of the pool `key` and srun's options to run there: a step in its Slurm job
   * while that runs, else a small job of its own on that node (it waits for room there).
   * Throws HostError (`what` …) when the node is not known (no pool, or a coordinator
   * restarted after the pool's job left squeue).
   */
  private async nodeOf(key: string | undefined, what: string): Promise<{ node: string; srun: string[] }> {
    if (key !== undefined) {
      for (let fresh = false; ; fresh = true) {
        const row = this.queue.row(key);
        if (row !== undefined && row.node !== '') this.nodes.set(key, row.node);
        const node = this.nodes.get(key);
        const running = row?.state === 'RUNNING' && this.live.has(key);
        if (node !== undefined && (running || fresh || !this.live.has(key))) return { node, srun: running && row !== undefined ? stepSrunArgs(row.id) : this.jobOn(node, key) };
        if (fresh) break;
        await this.queue.refresh();
      }
    }
    throw new HostError(`${what} on ${this.host}: the node of its pool is not known to this coordinator (its Slurm job has left squeue)`);
  }

  /** srun's options for a small job of its own on `node` (named after the pool it serves). */
  private jobOn(node: string, key: string): string[] {
    return [`--partition=${this.spec.slurm.partition}`, `--nodelist=${node}`, '--nodes=1', '--ntasks=1', '--chdir=/', `--job-name=${jobName(this.spec.site, `${key}-files`)}`];
  }

  /** srun's options for a step or job on `node`: in a running pool's Slurm job there, if one is. */
  private anyOn(node: string): string[] {
    for (const [key, state] of this.live) {
      const row = this.queue.row(key);
      if (state.started && row?.state === 'RUNNING' && row.node === node) return stepSrunArgs(row.id);
    }
    return this.jobOn(node, 'cleanup');
  }

  private shellOn(where: { node: string; srun: readonly string[] }): Shell {
    return this.shell.on(where.srun, `${this.host} (node ${where.node})`);
  }

  /**
   * `work` on a node (`where`); when it fails in a step of a pool's Slurm job, once more in
   * a job of its own on that node (named after `key`): a pool's job ends, killing the step,
   * as soon as its pool is done, which is often just when a job's files are wanted.
   */
  private async tryOn<T>(where: { node: string; srun: readonly string[] }, key: string, work: (shell: Shell) => Promise<T>): Promise<T> {
    try {
      return await work(this.shellOn(where));
    } catch (err) {
      if (!(err instanceof HostError) || !where.srun.includes('--overlap')) throw err;
      return work(this.shellOn({ node: where.node, srun: this.jobOn(where.node, key) }));
    }
  }

  /** `work` on the node of the pool `key` (tryOn). */
  private async onPoolNode<T>(key: string | undefined, what: string, work: (shell: Shell) => Promise<T>): Promise<T> {
    return this.tryOn(await this.nodeOf(key, what), key ?? 'files', work);
  }

  // --- A batch job's files, on its pool's node --------------------------------------

  /** Staged once per node: two pools there share the copy (a second would replace it under the first). */
  async put(from: string, area: string, poolKey?: string): Promise<string> {
    await this.prepare();
    const where = await this.nodeOf(poolKey, `cannot stage ${from}`);
    return this.once(where.node, area, from, () => this.tryOn(where, poolKey ?? 'files', (sh) => putVia(sh, this.roots, from, area)));
  }

  /** A build's directory, for a job on another node: copied through here into that node's staging area. */
  async reach(dir: string, from: string | undefined, poolKey: string, area: string): Promise<string> {
    await this.prepare();
    const what = `cannot copy the build directory ${dir}`;
    const built = await this.nodeOf(from, what);
    const runs = await this.nodeOf(poolKey, what);
    if (built.node === runs.node) return dir;
    return this.once(runs.node, area, `build:${dir}`, async () => {
      const tmp = fs.mkdtempSync(join(os.tmpdir(), 'jms-build-'));
      try {
        const { missing } = await this.tryOn(built, from ?? 'files', (sh) => collectVia(sh, dirname(dir), [basename(dir)], tmp));
        if (missing.length > 0) throw new HostError(`${what} from node ${built.node} of ${this.host}: it is gone`);
        return await this.tryOn(runs, poolKey, (sh) => putVia(sh, this.roots, join(tmp, basename(dir)), area));
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  }

  private once(node: string, area: string, what: string, copy: () => Promise<string>): Promise<string> {
    const key = `${node}\0${area}\0${what}`;
    let done = this.staged.get(key);
    if (done === undefined) {
      done = copy();
      this.staged.set(key, done);
      done.catch(() => this.staged.delete(key));
    }
    return done;
  }

  /** On every node this coordinator staged `area` on (a restarted one knows none: they stay). */
  async unstage(area: string): Promise<void> {
    const dir = `${this.roots.stage}/${checkArea(area)}`;
    const nodes = new Set<string>();
    for (const key of [...this.staged.keys()]) {
      const [node = '', of] = key.split('\0');
      if (of !== area) continue;
      nodes.add(node);
      this.staged.delete(key);
    }
    await Promise.all([...nodes].map((node) => this.tryOn({ node, srun: this.anyOn(node) }, 'cleanup', (sh) => removeVia(sh, this.roots, [dir]))));
  }

  async collect(dir: string, entries: readonly string[], dest: string, poolKey?: string): Promise<{ missing: string[] }> {
    await this.prepare();
    return this.onPoolNode(poolKey, `cannot collect from ${dir}`, (sh) => collectVia(sh, dir, entries, dest));
  }

  async remove(paths: readonly string[], poolKey?: string): Promise<void> {
    checkRemovable(this.roots, paths, this.host);
    await this.prepare();
    await this.onPoolNode(poolKey, `cannot remove ${paths.join(', ')}`, (sh) => removeVia(sh, this.roots, paths));
  }

  /** Shutdown, once its pools are gone: every Slurm job of this site still there is cancelled. */
  async close(): Promise<void> {
    this.queue.stop();
    if (!this.reaped) return;
    const rows = await this.queue.refresh();
    const left = rows === null ? [] : [...rows.values()].filter((r) => !isOver(r.state)).map((r) => r.id);
    if (left.length > 0) await this.scancel(left);
  }
}

function firstEvent(text: string): PoolEvent | null {
  const [frame] = new LineDecoder(MAX_FRAME_BYTES).push(Buffer.from(text));
  if (frame === undefined || !frame.ok) return null;
  const event = parsePoolEvent(frame.value);
  return 'invalid' in event ? null : event;
}
