// The CPU-per-job rows: for each JMS configuration of the throughput section, the median
// over its runs of each process's CPU per job (console, coordinator, pools' own, jobs),
// with the target on console + coordinator; for tsp, its clients, server and jobs.

import type { Config } from './throughput.js';
import type { Sample } from './jms-run.js';
import { median } from './lib.js';
import { footnote, row, verdict } from './report.js';
import { N } from './settings.js';

/** Console + coordinator CPU per job, ms: issue 13's target. */
const TARGET_MS = 0.5;

const ms = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(3)} ms` : 'n/a');

export function cpuRows(configs: readonly Config[], samples: ReadonlyMap<string, Sample[]>): void {
  for (const c of configs) {
    const s = samples.get(c.key) ?? [];
    const label = c.name.replace(/ \(jms_console -o\)$/, '');
    if (c.kind === 'tsp') {
      const t = s.flatMap((x) => (x.tsp === undefined ? [] : [x.tsp]));
      if (t.length === 0) continue;
      const [clients, server, jobs] = [median(t.map((x) => x.clients)), median(t.map((x) => x.server)), median(t.map((x) => x.jobs))];
      row({ section: 'cpu per job', name: `${label}: clients + server`, result: ms(clients + server), notes: `clients (one \`tsp\` run per job, and the bash loop) ${ms(clients)}, server ${ms(server)}, jobs (with tsp's process for each) ${ms(jobs)}; medians of ${t.length} run(s)` });
      continue;
    }
    const cpus = s.flatMap((x) => (x.cpu === undefined ? [] : [x.cpu]));
    if (cpus.length === 0) continue;
    const con = median(cpus.map((x) => x.console));
    const coord = median(cpus.map((x) => x.coord));
    const both = median(cpus.map((x) => x.console + x.coord));
    const pools = median(cpus.map((x) => x.pools));
    const jobs = median(cpus.map((x) => x.jobs));
    const caveats = [...new Set(cpus.map((x) => x.caveat).filter((x) => x !== ''))];
    const spawners = [...new Set(cpus.map((x) => x.spawners))].join(' / ');
    const main = c.key === 'jms50' || c.key === 'jms5' || c.key === 'jms50-tmpfs';
    row({
      section: 'cpu per job', name: `${label}: console + coordinator`, result: ms(both),
      target: main ? `≤ ${TARGET_MS} ms` : '', verdict: main ? `${verdict(both <= TARGET_MS)}` : '',
      notes: `console ${ms(con)}, coordinator ${ms(coord)}; pools' own ${ms(pools)}, jobs ${ms(jobs)}; all together ${ms(con + coord + pools + jobs)}; runs (console + coordinator): ${cpus.map((x) => (x.console + x.coord).toFixed(3)).join(', ')} ms; jobs started by ${spawners || 'unknown'}${caveats.length > 0 ? `; ${caveats.join('; ')}` : ''}`,
    });
  }
  footnote(
    `CPU per job (user + system, over N = ${N}; medians of the runs): console = the harness's reaped-children CPU (/proc/self/stat cutime + cstime) across the replaying console's life, start-up included; coordinator = its own utime + stime (/proc/<pid>/stat) from the console's start to the last job's end (answering the harness's polls included); jobs = what the pools reaped, each pool's getrusage(RUSAGE_CHILDREN) in microseconds as it exits (pools run with JMS_CPU_REPORT=1, pool/cpu-report.ts); pools' own = the harness's reaped CPU across the coordinator's life (the coordinator, its pools and their jobs, all reaped by then) minus the coordinator's own over its life and the jobs': every pool's start-up, job directories, spawns, reaping, frames and exit, the spare pool's too. tsp: its clients = the reaped CPU across the bash loop; its server's own and its reaped children's from its /proc/<pid>/stat.`,
  );
}
