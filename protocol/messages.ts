// The console <-> coordinator vocabulary: the handshake on the well-known FIFO, the
// requests a console sends on its private FIFO and the replies it gets back.
// Every message is a member of a union tagged by a string `kind`.

import type { OnExit } from './batch.js';
import type { ErrorCode } from './errors.js';

export const JMS_VERSION = '0.1.0';
export const PROTOCOL_VERSION = 1;

/** Where the coordinator keeps NODE_EXTRA_CA_CERTS for the jobs while pools start without it. */
export const HELD_CERTS = 'JMS_HELD_NODE_EXTRA_CA_CERTS';

/** Anything written to the shared request FIFO fits one atomic pipe write. */
export const PIPE_BUF = 4096;
/** Largest frame on a private FIFO or a pool pipe. */
export const MAX_FRAME_BYTES = 256 * 1024;
/** Largest job command line (Linux caps one argument of exec at 128 KiB). */
export const MAX_COMMAND_BYTES = 128 * 1024 - 1;

// --- handshake (console -> jms_in, coordinator -> console's reply FIFO) -------------

export interface Hello {
  kind: 'hello';
  version: number;
  pid: number;
  /** The console's private FIFO that it writes requests into. */
  requestFifo: string;
  /** The console's private FIFO that it reads replies from. */
  replyFifo: string;
}

export type Welcome =
  | {
    kind: 'welcome'; version: number; coordPid: number; jobsPool: number;
    /** The coordinator's settings, which a console shows (`show-coordinator`). */
    maxPools: number; outDir: string;
  }
  | { kind: 'refused'; version: number; message: string };

// --- what the coordinator tells about jobs and pools -------------------------------

/** The words of SPEC.md §2, plus Queued for jobs waiting for room. */
export type JobStatus = 'queued' | 'active' | 'suspended' | 'finished';

/** How a finished job ended. */
export type JobResult =
  | { kind: 'exited'; code: number }
  | { kind: 'signalled'; signal: string }
  /** Killed because its --timeout ran out; `signal` is what ended it. */
  | { kind: 'timed-out'; signal: string | null; code: number | null; afterSec: number }
  | { kind: 'start-failed'; reason: string }
  | { kind: 'lost'; reason: string }
  | { kind: 'cancelled'; reason: string }
  /** It never ran: JobID `jobId`, which it was to run after, ended `outcome`. */
  | { kind: 'dependency-failed'; jobId: number; outcome: Outcome }
  /** It ran, but what it saved could not be archived. */
  | { kind: 'archive-failed'; reason: string };

/** How a finished job ended, in one word (README: Outcomes). */
export type Outcome = 'succeeded' | 'failed' | 'killed' | 'timed-out' | 'lost' | 'cancelled' | 'dependency-failed';
export const OUTCOMES: readonly Outcome[] = ['succeeded', 'failed', 'killed', 'timed-out', 'lost', 'cancelled', 'dependency-failed'];

export function outcomeOf(result: JobResult): Outcome {
  switch (result.kind) {
    case 'exited':
      return result.code === 0 ? 'succeeded' : 'failed';
    case 'signalled':
      return 'killed';
    case 'timed-out':
      return 'timed-out';
    case 'start-failed':
      return 'failed';
    case 'lost':
      return 'lost';
    case 'cancelled':
      return 'cancelled';
    case 'dependency-failed':
      return 'dependency-failed';
    case 'archive-failed':
      return 'failed';
  }
}

/** Finished otherwise than with exit code 0 (failed, killed, lost, never started). */
export function jobFailed(result: JobResult | null): boolean {
  return result !== null && outcomeOf(result) !== 'succeeded';
}

/** Who submitted a job, from where. */
export interface Origin {
  user: string;
  host: string;
  consolePid: number;
}

/** Everything known about one job: the answer to `status` and `info`, and `wait`'s items. */
export interface JobView {
  jobId: number;
  status: JobStatus;
  command: string;
  /** Process-group leader of the job, once started. */
  pid: number | null;
  poolPid: number | null;
  dir: string | null;
  /** Whole seconds the job has been running (active and suspended jobs). */
  runningForSec: number | null;
  submittedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  result: JobResult | null;
  timeoutSec: number | null;
  cwd: string | null;
  origin: Origin | null;
  /** Held by pause-all: until when (null: until resume-all). Absent when not held. */
  pause: { until: number | null } | null;
  /** The host it runs (or ran) on; null before it started. */
  host: string | null;
  needs: string[];
  /** What a queued job waits for (with a hosts file); null otherwise. */
  waiting: string | null;
  /** Of a batch: its `namespace/name`, and the job's name there; null otherwise. */
  batch: string | null;
  name: string | null;
  /** `build`: a batch's build step on one host. */
  kind: JobKind;
  /** JobIDs that must succeed before it starts. */
  after: number[];
  /** Times it may be run again after failing or being lost; `attempts`: the earlier runs. */
  retries: number;
  attempts: AttemptView[];
  priority: number;
  /** Held until this time (--begin); null: not held. */
  beginAt: number | null;
  /** Its exit hooks: what each did. */
  hooks: HookView[];
  /** Where what it saved was archived, once it was. */
  archive: string | null;
}

export type JobKind = 'job' | 'build';

/** An earlier run of a job that was run again (--retries). */
export interface AttemptView {
  host: string | null;
  dir: string | null;
  startedAt: number | null;
  endedAt: number;
  result: JobResult;
}

export type HookState = 'pending' | 'running' | 'done' | 'failed' | 'interrupted';
export const HOOK_STATES: readonly HookState[] = ['pending', 'running', 'done', 'failed', 'interrupted'];

/** An exit hook (or a batch's notify) and what became of it. */
export interface HookView {
  /** The case it ran for (`any`, `failed`, `3`, `batch`). */
  when: string;
  command: string;
  state: HookState;
  /** How it ended (`exit code 1`, `timed out after 60 s`, `killed by SIGTERM`); null until it has. */
  how: string | null;
  /** Its output. */
  log: string | null;
}

export type BatchState = 'active' | 'done' | 'cancelled';

/** A batch as show-batches and status-batch tell it. */
export interface BatchView {
  /** `namespace/name`. */
  key: string;
  name: string;
  namespace: string;
  submittedAt: number;
  state: BatchState;
  /** Why it was cancelled. */
  reason: string | null;
  /** Its jobs (builds not counted), by status and by outcome. */
  jobs: number;
  counts: Record<JobStatus, number>;
  outcomes: Partial<Record<Outcome, number>>;
  /** Its build step on each host. */
  builds: { host: string; jobId: number; status: JobStatus; outcome: Outcome | null }[];
  /** Jobs that did not succeed (at most 50): their id, name, outcome and why. */
  failures: { jobId: number; name: string; outcome: Outcome; why: string }[];
  /** Where its jobs' saved files are archived. */
  archive: string;
  windows: string | null;
  notify: HookView | null;
}

/** A file of a batch's archive; `path` is relative to the batch's archive folder. */
export interface ArchiveFile {
  path: string;
  size: number;
}

/** What a list answer says of each job: enough for its line and its colour. */
export interface JobBrief {
  jobId: number;
  status: JobStatus;
  /** Whole seconds the job has been running (active and suspended jobs). */
  runningForSec: number | null;
  /** How it ended; null until it has. */
  outcome: Outcome | null;
}

export interface PoolView {
  pid: number;
  /** The pool's jobs that are running or suspended now. */
  jobs: number;
  /** The host it runs on ('local' for the coordinator's machine). */
  host: string;
  /** show-pools --long only: jobs it has taken of the most it takes, and whether it is the spare. */
  long?: { taken: number; capacity: number; spare: boolean };
}

export type HostState = 'up' | 'connecting' | 'down' | 'off' | 'draining';
export const HOST_STATES: readonly HostState[] = ['up', 'connecting', 'down', 'off', 'draining'];
export type HostKind = 'local' | 'ssh' | 'slurm';

/** A host of the hosts file, as `show-hosts` tells it. */
export interface HostInfo {
  name: string;
  kind: HostKind;
  state: HostState;
  /** Why it is down (the last failure), if it is. */
  why: string | null;
  tags: string[];
  slots: number;
  /** Jobs dispatched there that have not ended. */
  used: number;
  /** Live pools there. */
  pools: number;
  cost: number;
  /** Held by pause-all (--host): until when (null: until resume-all); absent (null) when not held. */
  pause: { until: number | null } | null;
  /** Inside its run windows now (always true without windows). */
  windowOpen: boolean;
  /** A Slurm host's pools, each a Slurm job of its own (absent for other hosts). */
  allocations?: HostAllocation[];
}

/** One pool of a Slurm host, as show-hosts tells it: its Slurm job and that job's state. */
export interface HostAllocation {
  /** The coordinator's id of the pool. */
  pool: number;
  /** Its Slurm job's id, once known. */
  id: string | null;
  /** PENDING, RUNNING, … as squeue says. */
  state: string;
  /** Why it pends (squeue's reason), while it does. */
  reason: string | null;
  node: string | null;
  /** The features it was asked for (srun -C). */
  features: string[];
  /** Its time limit in seconds (null: none asked for). */
  timeSec: number | null;
  /** Jobs it runs now. */
  jobs: number;
}

// --- requests (console -> coordinator, on the console's private FIFO) --------------

export type Request =
  | {
    kind: 'submit'; id: number; command: string;
    /**
     * Where and with what environment the job runs (the console's); absent: the
     * coordinator's. The environment comes whole once per connection (`env`), then by
     * its key (`envKey`, protocol/env-key.ts).
     */
    cwd?: string; env?: Record<string, string>; envKey?: string; timeoutSec?: number;
    /** Tags a host must have (`!tag`: must not have). */
    needs?: string[];
    /** Variables set for the job on any host (--env K=V, --export NAME), over that host's environment. */
    setEnv?: Record<string, string>;
    /** JobIDs that must succeed first (--after). */
    after?: number[];
    retries?: number;
    priority?: number;
    /** A begin time as written (protocol/begin.ts), read with the coordinator's clock. */
    begin?: string;
    onExit?: OnExit;
  }
  /**
   * A batch (protocol/batch.ts BatchSpec as JSON), sent in `parts` frames of the same
   * `token`, numbered from 0; each but the last is answered `batch-part`. Its jobs run with
   * the console's environment where it is the coordinator's machine.
   */
  | {
    kind: 'submit-batch'; id: number; token: string; part: number; parts: number; data: string;
    env?: Record<string, string>; envKey?: string;
  }
  | { kind: 'show-batches'; id: number }
  /** `batch`: `name` or `namespace/name`. */
  | { kind: 'status-batch'; id: number; batch: string }
  | { kind: 'kill-batch'; id: number; batch: string }
  /** Every job of the batch (null: every job), in full: for export-log. */
  | { kind: 'batch-jobs'; id: number; batch: string | null }
  /** The files of a batch's archive (for pull). */
  | { kind: 'archive-list'; id: number; batch: string }
  | { kind: 'status'; id: number; jobId: number }
  | { kind: 'info'; id: number; jobId: number }
  | { kind: 'status-all'; id: number; sinceSec: number | null }
  | { kind: 'show-active'; id: number }
  | { kind: 'show-pools'; id: number; long?: boolean }
  | { kind: 'show-finished'; id: number; long?: boolean }
  | { kind: 'show-queued'; id: number }
  | { kind: 'suspend'; id: number; jobId: number }
  | { kind: 'resume'; id: number; jobId: number }
  | { kind: 'kill'; id: number; jobId: number }
  | { kind: 'wait'; id: number; jobIds: number[] | 'all' }
  | { kind: 'pause-all'; id: number; forSec: number | null; host?: string }
  | { kind: 'resume-all'; id: number; host?: string }
  | { kind: 'show-hosts'; id: number }
  /**
   * A job's output, read where it was made (served by the coordinator, through the job's
   * host): all of it, or its last `lines` lines; `follow`: then what it writes until it ends.
   */
  | { kind: 'read-log'; id: number; jobId: number; stream: 'stdout' | 'stderr'; lines: number | null; follow: boolean }
  | { kind: 'host-off'; id: number; host: string }
  | { kind: 'host-on'; id: number; host: string }
  | { kind: 'shutdown'; id: number; drain?: boolean }
  /**
   * Forget request `requestId` of this console (^C): a `wait` stops waiting, a batch
   * stops streaming, and that request is answered with error E_CANCELLED. A cancel has
   * no answer of its own; naming a request already answered does nothing.
   */
  | { kind: 'cancel'; id: number; requestId: number };

export type RequestKind = Request['kind'];

/** Requests answered by a batch: item frames closed by an `end` frame. */
export const BATCH_REQUESTS: ReadonlySet<RequestKind> = new Set<RequestKind>([
  'status-all',
  'show-active',
  'show-pools',
  'show-finished',
  'show-queued',
  'show-hosts',
  'read-log',
  'wait',
  'show-batches',
  'batch-jobs',
  'archive-list',
]);

// --- replies (coordinator -> console, on the console's private FIFO) ---------------

export type Reply =
  | { kind: 'submitted'; id: number; jobId: number; pid: number }
  | { kind: 'queued'; id: number; jobId: number; position: number }
  | { kind: 'status'; id: number; job: JobView }
  | { kind: 'info'; id: number; job: JobView }
  | { kind: 'signalled'; id: number; jobId: number; action: 'suspend' | 'resume' | 'kill' }
  | { kind: 'dequeued'; id: number; jobId: number }
  | { kind: 'paused'; id: number; jobs: number; until: number | null }
  | { kind: 'resumed-all'; id: number; jobs: number }
  | { kind: 'served'; id: number; served: number; inProgress: number }
  | { kind: 'job'; id: number; job: JobBrief }
  | { kind: 'detail'; id: number; job: JobView }
  | { kind: 'pool'; id: number; pool: PoolView }
  | { kind: 'host'; id: number; host: HostInfo }
  /** Bytes of a job's output (base64), an item of a `read-log` answer. */
  | { kind: 'chunk'; id: number; data: string }
  | { kind: 'host-switched'; id: number; host: string; state: HostState; running: number }
  | { kind: 'batch-part'; id: number; part: number }
  | { kind: 'batch-submitted'; id: number; batch: string; jobs: number; firstJobId: number; lastJobId: number; builds: number }
  | { kind: 'batch'; id: number; batch: BatchView }
  | { kind: 'batch-killed'; id: number; batch: string; dequeued: number; signalled: number }
  /** An item of an archive-list answer; the first item of it is the archive folder as `root`. */
  | { kind: 'file'; id: number; root: string; file: ArchiveFile }
  | { kind: 'end'; id: number; count: number }
  | { kind: 'error'; id: number; code: ErrorCode; message: string };

/** A batch answer, before it is framed. */
export type BatchItem =
  | { kind: 'job'; job: JobBrief }
  | { kind: 'detail'; job: JobView }
  | { kind: 'pool'; pool: PoolView }
  | { kind: 'host'; host: HostInfo }
  | { kind: 'chunk'; data: string }
  | { kind: 'batch'; batch: BatchView }
  | { kind: 'file'; root: string; file: ArchiveFile };
