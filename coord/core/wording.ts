// Sentences the coordinator says to users about a job, kept out of the logic.

import type { Job } from './state.js';

/** Why a job cannot be suspended or resumed in its present state. */
export function cannotSignal(jobId: number, action: 'suspend' | 'resume', tag: Job['state']['tag']): string {
  const now: Record<Job['state']['tag'], string> = {
    queued: 'is queued and has not started yet',
    starting: 'is still starting (try again in a moment)',
    running: 'is running, not suspended',
    suspended: 'is already suspended',
    finished: 'has already finished',
  };
  const only = action === 'suspend' ? 'only a running job can be suspended' : 'only a suspended job can be resumed';
  return `cannot ${action} JobID ${jobId}: it ${now[tag]}; ${only}.`;
}
