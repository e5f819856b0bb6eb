// The frame link of a pool under srun (srun's stdin and stdout, here or through ssh to
// the login node), with what srun itself adds:
//
// - srun's own lines (`srun: job 1234 queued and waiting for resources`, its errors) name
//   the pool's Slurm job and say why it could not start; the pool's first frame says its
//   allocation has started.
// - Before it has started, `retire`, `terminate` and a kill cancel the Slurm job
//   (scancel by its name, then srun is ended): nothing else would end a pending job.
// - Once it has started, ending srun would end the pool's Slurm job with every job in it.
//   So a kill (the link was silent past the heartbeat: a node's link is down, or srun
//   stalls) lets go of srun instead: its input is closed (the pool sees the end, keeps
//   its jobs for the lease, and serves its attach socket), what it still prints is read
//   and dropped, and the link reports its end now, so the pool is looked for again
//   through a step in its job, or settled once Slurm says how the job ended.

import type { PoolCommand } from '../../protocol/pool-messages.js';
import type { LinkListener, PoolLink } from './link.js';
import { slurmError, srunJobId } from './slurm-commands.js';

export interface SrunHooks {
  /** srun named the pool's Slurm job. */
  jobId(id: string): void;
  /** The pool answered: its allocation has started. */
  started(): void;
  /** The link ended (or was let go). */
  ended(): void;
  /** Cancels the pool's Slurm job by its name; resolves once scancel has answered. */
  cancel(): Promise<void>;
}

export function srunLink(open: (listener: LinkListener) => PoolLink, listener: LinkListener, hooks: SrunHooks): PoolLink {
  let started = false;
  let letGo = false;
  let cancelling = false;
  /** Slurm's errors before the pool answered (the reason it could not start). */
  const errors: string[] = [];
  const inner = open({
    event: (event) => {
      if (letGo) return;
      if (!started) {
        started = true;
        hooks.started();
      }
      listener.event(event);
    },
    closed: (how) => {
      if (letGo) return;
      hooks.ended();
      listener.closed(started || errors.length === 0 ? how : `${how}: ${errors.join('; ')}`);
    },
    log: (line) => {
      const id = srunJobId(line);
      if (id !== null) hooks.jobId(id);
      const error = started ? null : slurmError(line);
      if (error !== null && errors.length < 3) errors.push(error);
      if (!letGo) listener.log(line);
    },
  });
  const cancel = (): void => {
    if (cancelling) return;
    cancelling = true;
    void hooks.cancel().finally(() => inner.kill());
  };
  return {
    pid: inner.pid,
    send: (command: PoolCommand) => {
      if (!started && (command.kind === 'retire' || command.kind === 'terminate')) cancel();
      else inner.send(command);
    },
    end: () => inner.end(),
    kill: () => {
      if (!started) return cancel();
      if (letGo) return;
      letGo = true;
      inner.end();
      hooks.ended();
      listener.closed('was let go (its Slurm job goes on without this link)');
    },
  };
}
