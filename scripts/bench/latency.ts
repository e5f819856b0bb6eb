// The latency section: the `status <id>` round trip and submit → answer with a new and a reused pool.

import { setTimeout as sleep } from 'node:timers/promises';
import { ask, batch, median, message, now, percentile, progress, startCoord, stopCoord, tempDir } from './lib.js';
import { fmtMs, footnote, row, verdict } from './report.js';
import { COLD_SAMPLES, JOB, NEC, RUNS, STATUS_REQS, STATUS_WARMUP, WARM_PER_COLD } from './settings.js';

async function statusLatency(root: string): Promise<{ p50: number; p99: number; max: number }> {
  const t = tempDir(root, 'status-');
  try {
    const c = await startCoord({ dir: t.dir, jobsPool: 10 });
    try {
      const sub = await ask(c.conn, { kind: 'submit', command: JOB });
      if (sub.kind !== 'submitted' && sub.kind !== 'queued') throw new Error(`submit answered ${JSON.stringify(sub)}`);
      const jobId = sub.jobId;
      for (let i = 0; ; i += 1) {
        const st = await ask(c.conn, { kind: 'status', jobId });
        if (st.kind === 'status' && st.job.status === 'finished') break;
        if (i > 1000) throw new Error('the job did not finish');
        await sleep(10);
      }
      for (let i = 0; i < STATUS_WARMUP; i += 1) await c.conn.request({ kind: 'status', jobId });
      const lat = new Array<number>(STATUS_REQS);
      for (let i = 0; i < STATUS_REQS; i += 1) {
        const t0 = now();
        const reply = await c.conn.request({ kind: 'status', jobId });
        lat[i] = now() - t0;
        if (reply.kind !== 'status') throw new Error(`status answered ${JSON.stringify(reply)}`);
      }
      lat.sort((a, b) => a - b);
      return { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat[lat.length - 1] ?? Number.NaN };
    } finally {
      await stopCoord(c);
    }
  } finally {
    t.remove();
  }
}

async function submitLatency(root: string, env: NodeJS.ProcessEnv): Promise<{ cold: number[]; warm: number[] }> {
  const t = tempDir(root, 'submit-');
  try {
    // -n 1000: one pool takes every job; --pool-idle 100: it exits 100 ms after its last job.
    const c = await startCoord({ dir: t.dir, jobsPool: 1000, extra: ['--pool-idle', '100'], env });
    try {
      const cold: number[] = [];
      const warm: number[] = [];
      const submit = async (): Promise<number> => {
        const t0 = now();
        const r = await ask(c.conn, { kind: 'submit', command: JOB });
        const ms = now() - t0;
        if (r.kind !== 'submitted') throw new Error(`submit answered ${JSON.stringify(r)}`);
        return ms;
      };
      for (let i = 0; i < COLD_SAMPLES; i += 1) {
        const deadline = now() + 20_000;
        while ((await batch(c.conn, { kind: 'show-pools' })).pools.length > 0) {
          if (now() > deadline) throw new Error('the idle pool did not exit');
          await sleep(20);
        }
        cold.push(await submit());
        for (let j = 0; j < WARM_PER_COLD; j += 1) warm.push(await submit());
      }
      return { cold, warm };
    } finally {
      await stopCoord(c);
    }
  } finally {
    t.remove();
  }
}

export async function latency(root: string): Promise<void> {
  const p50s: number[] = [];
  const p99s: number[] = [];
  const maxes: number[] = [];
  for (let r = 1; r <= RUNS; r += 1) {
    try {
      const s = await statusLatency(root);
      p50s.push(s.p50);
      p99s.push(s.p99);
      maxes.push(s.max);
      progress(`latency run ${r}/${RUNS}: status round trip p50 ${fmtMs(s.p50)}, p99 ${fmtMs(s.p99)}, max ${fmtMs(s.max)}`);
    } catch (err) {
      progress(`latency run ${r}/${RUNS}: ERROR ${message(err)}`);
    }
  }
  const runs = (xs: number[]): string => `runs: ${xs.map((x) => x.toFixed(3)).join(', ') || 'none'} ms`;
  const p50 = median(p50s);
  const p99 = median(p99s);
  row({ section: 'latency', name: `status <id> round trip, p50 (${STATUS_REQS} requests)`, result: fmtMs(p50), target: '≤ 0.3 ms', verdict: p50s.length > 0 ? verdict(p50 <= 0.3) : 'n/a', notes: runs(p50s) });
  row({ section: 'latency', name: `status <id> round trip, p99 (${STATUS_REQS} requests)`, result: fmtMs(p99), target: '≤ 2 ms', verdict: p99s.length > 0 ? verdict(p99 <= 2) : 'n/a', notes: `${runs(p99s)}; max ${fmtMs(Math.max(...maxes))}` });

  const envs: Array<[string, NodeJS.ProcessEnv]> = [['', process.env]];
  if (NEC !== undefined) {
    const e: NodeJS.ProcessEnv = { ...process.env };
    delete e.NODE_EXTRA_CA_CERTS;
    envs.push([', NODE_EXTRA_CA_CERTS unset', e]);
  }
  for (const [suffix, env] of envs) {
    try {
      const s = await submitLatency(root, env);
      const warmSorted = [...s.warm].sort((a, b) => a - b);
      progress(`latency: submit→answer, new pool${suffix}: median ${fmtMs(median(s.cold))}; pool reused: median ${fmtMs(median(s.warm))}`);
      row({ section: suffix === '' ? 'latency' : 'environment', name: `submit → answer, a new pool must start${suffix}`, result: `${fmtMs(median(s.cold))} median`, notes: `${s.cold.length} samples, min ${fmtMs(Math.min(...s.cold))}, max ${fmtMs(Math.max(...s.cold))}` });
      if (suffix === '') {
        row({ section: 'latency', name: 'submit → answer, pool already running', result: `${fmtMs(median(s.warm))} median`, notes: `${s.warm.length} samples, p99 ${fmtMs(percentile(warmSorted, 99))}, max ${fmtMs(warmSorted[warmSorted.length - 1] ?? Number.NaN)}` });
      }
    } catch (err) {
      progress(`latency: submit→answer${suffix}: ERROR ${message(err)}`);
      row({ section: 'latency', name: `submit → answer${suffix}`, result: 'error', notes: message(err) });
    }
  }
  footnote(
    `Latency: from the harness's own connection (console/connection.ts, the console's client), one request at a time. status: a fresh coordinator per run with one finished job, ${STATUS_WARMUP} warm-up requests, then ${STATUS_REQS} timed; p50 and p99 are nearest-rank, the row shows the median over ${RUNS} run(s). submit: \`-n 1000 --pool-idle 100\`; ${COLD_SAMPLES} times: wait until \`show-pools\` is empty, time one \`submit ${JOB}\` (a pool is started; the answer carries the job's pid, so it comes once the job runs), then time ${WARM_PER_COLD} more submits that the same pool takes.`,
  );
}
