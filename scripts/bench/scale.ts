// The scale section: a coordinator with many finished jobs on record (RSS, start-up, batch queries) and live pool RSS.

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ask, batch, CONSOLE_JS, exitWithin, median, message, now, procCpuMs, procStatusKb, progress, pssKb, run, spawnTracked, startCoord,
  stopCoord, tempDir, writeFinishedJournal,
} from './lib.js';
import { fmtMb, fmtMs, footnote, row, verdict } from './report.js';
import { RUNS, SCALE_JOBS } from './settings.js';

export async function scale(root: string): Promise<void> {
  const t = tempDir(root, 'scale-');
  try {
    const out = join(t.dir, 'out');
    fs.mkdirSync(out, { mode: 0o700 });
    const g0 = now();
    const bytes = writeFinishedJournal(out, SCALE_JOBS, os.userInfo().username);
    progress(`scale: wrote a journal of ${SCALE_JOBS} finished jobs (${(bytes / 2 ** 20).toFixed(1)} MB) in ${fmtMs(now() - g0)}`);
    const c = await startCoord({ dir: t.dir, jobsPool: 50, readyTimeoutMs: 300_000 });
    try {
      await sleep(500);
      const rssStart = procStatusKb(c.pid, 'VmRSS');
      progress(`scale: coordinator ready in ${fmtMs(c.startupMs)}, RSS ${fmtMb(rssStart)}`);
      const timed = async (kind: 'status-all' | 'show-finished'): Promise<{ times: number[]; firstItem: number[]; coordCpu: number[]; ownCpu: number[] }> => {
        const times: number[] = [];
        const firstItem: number[] = [];
        const coordCpu: number[] = [];
        const ownCpu: number[] = [];
        for (let r = 0; r < RUNS; r += 1) {
          let count = 0;
          let first = Number.NaN;
          const cpu0 = procCpuMs(c.pid);
          const own0 = process.cpuUsage();
          const t0 = now();
          const onItem = (): void => {
            if (count === 0) first = now() - t0;
            count += 1;
          };
          const last = await ask(c.conn, kind === 'status-all' ? { kind, sinceSec: null } : { kind }, 120_000, onItem);
          times.push(now() - t0);
          const own = process.cpuUsage(own0);
          ownCpu.push((own.user + own.system) / 1000);
          coordCpu.push(procCpuMs(c.pid) - cpu0);
          firstItem.push(first);
          if (last.kind !== 'end' || count !== SCALE_JOBS) throw new Error(`${kind} gave ${count} items (${last.kind}), not ${SCALE_JOBS}`);
        }
        progress(`scale: ${kind} of ${SCALE_JOBS} jobs: ${times.map(fmtMs).join(', ')} (first item after ${firstItem.map(fmtMs).join(', ')})`);
        return { times, firstItem, coordCpu, ownCpu };
      };
      const statusAll = await timed('status-all');
      const showFinished = await timed('show-finished');
      const rssAfter = procStatusKb(c.pid, 'VmRSS');
      const hwm = procStatusKb(c.pid, 'VmHWM');
      // The one-shot console, its output to a file (a pipe may lose lines: see the notes).
      const oneShot: number[] = [];
      const outFile = join(t.dir, 'status-all.txt');
      const countLines = (text: string): number => text.split('\n').filter((l) => l !== '').length;
      for (let r = 0; r < RUNS; r += 1) {
        const fd = fs.openSync(outFile, 'w');
        const t0 = now();
        const child = spawnTracked(process.execPath, [CONSOLE_JS, '-w', c.jmsIn, '-r', c.jmsOut, 'status-all'], { stdio: ['ignore', fd, 'inherit'] });
        fs.closeSync(fd);
        const ex = await exitWithin(child, 120_000, 'jms_console status-all');
        oneShot.push(now() - t0);
        const lines = countLines(fs.readFileSync(outFile, 'utf8'));
        if (ex.code !== 0 || lines !== SCALE_JOBS) throw new Error(`jms_console status-all exited ${ex.code ?? ex.signal} with ${lines} lines`);
      }
      const piped = await run(process.execPath, [CONSOLE_JS, '-w', c.jmsIn, '-r', c.jmsOut, 'status-all'], { timeoutMs: 120_000 });
      const pipedLines = countLines(piped.stdout);
      progress(`scale: jms_console status-all (one-shot, to a file): ${oneShot.map(fmtMs).join(', ')}; to a pipe: ${pipedLines} lines`);
      const k = SCALE_JOBS.toLocaleString('en-US');
      const mb = (kb: number | null): number => (kb ?? Number.POSITIVE_INFINITY) / 1024;
      row({ section: 'scale', name: `coordinator start-up with ${k} finished jobs on record`, result: fmtMs(c.startupMs), notes: `spawn to first accepted console; replays a ${(bytes / 2 ** 20).toFixed(1)} MB journal of ${4 * SCALE_JOBS} records` });
      row({ section: 'scale', name: `coordinator RSS, ${k} finished jobs, after start-up`, result: fmtMb(rssStart), target: '≤ 150 MB', verdict: verdict(mb(rssStart) <= 150), notes: 'VmRSS 0.5 s after it accepted the first console' });
      row({ section: 'scale', name: `coordinator RSS, ${k} finished jobs, after the queries below`, result: fmtMb(rssAfter), target: '≤ 150 MB', verdict: verdict(mb(rssAfter) <= 150), notes: `peak (VmHWM) ${fmtMb(hwm)}` });
      const batchNotes = (b: { times: number[]; firstItem: number[]; coordCpu: number[]; ownCpu: number[] }): string =>
        `runs: ${b.times.map(fmtMs).join(', ')}; medians: first item after ${fmtMs(median(b.firstItem))}, CPU used by the coordinator ${fmtMs(median(b.coordCpu))} and by the harness's client (decoding the frames) ${fmtMs(median(b.ownCpu))}`;
      row({ section: 'scale', name: `status-all, ${k} jobs (request to end frame)`, result: fmtMs(median(statusAll.times)), target: '≤ 300 ms', verdict: verdict(median(statusAll.times) <= 300), notes: batchNotes(statusAll) });
      row({ section: 'scale', name: `show-finished, ${k} jobs (request to end frame)`, result: fmtMs(median(showFinished.times)), notes: batchNotes(showFinished) });
      const pipeNote = pipedLines === SCALE_JOBS
        ? `to a pipe read by the harness: all ${k} lines arrived`
        : `**to a pipe read by the harness only ${pipedLines.toLocaleString('en-US')} of ${k} lines arrived** (exit ${piped.code ?? piped.signal}): the console exits before its stdout has drained`;
      row({ section: 'scale', name: `\`jms_console status-all\` one-shot, ${k} jobs, output to a file`, result: fmtMs(median(oneShot)), notes: `whole process: Node start, handshake, ${k} lines rendered; runs: ${oneShot.map(fmtMs).join(', ')}; ${pipeNote}` });
    } finally {
      await stopCoord(c);
    }
  } catch (err) {
    progress(`scale: ERROR ${message(err)}`);
    row({ section: 'scale', name: `${SCALE_JOBS} finished jobs on record`, result: 'error', notes: message(err) });
  } finally {
    t.remove();
  }
  await poolRss(root);
  footnote(
    `Scale: the harness writes \`<path>/.jms/journal\` with ${SCALE_JOBS} finished jobs (new with the console's directory, environment and pid, dispatched, started, exited 0: the records a real run leaves; pids that cannot exist, directories that do not) and starts a coordinator on it. Request times are from sending the request to receiving the \`end\` frame on the harness's connection, every item decoded; the median of ${RUNS}. RSS and PSS are read from /proc (VmRSS, smaps_rollup); MB = 2^20 bytes.`,
  );
}

async function poolRss(root: string): Promise<void> {
  const t = tempDir(root, 'pools-');
  try {
    // -n 1: each `sleep 30` gets its own pool, so three live pools to average over.
    const c = await startCoord({ dir: t.dir, jobsPool: 1 });
    try {
      const idleCoord = procStatusKb(c.pid, 'VmRSS');
      for (let i = 0; i < 3; i += 1) {
        const r = await ask(c.conn, { kind: 'submit', command: 'sleep 30' });
        if (r.kind !== 'submitted') throw new Error(`submit answered ${JSON.stringify(r)}`);
      }
      await sleep(500);
      const pools = (await batch(c.conn, { kind: 'show-pools' })).pools;
      if (pools.length === 0) throw new Error('show-pools lists no pool');
      const rss = pools.map((p) => procStatusKb(p.pid, 'VmRSS') ?? Number.NaN);
      const pss = pools.map((p) => pssKb(p.pid) ?? Number.NaN);
      const withPools = procStatusKb(c.pid, 'VmRSS');
      progress(`scale: pool RSS ${rss.map((k) => fmtMb(k)).join(', ')}; PSS ${pss.map((k) => fmtMb(k)).join(', ')}`);
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      row({ section: 'scale', name: 'RSS per live pool (one running job each)', result: fmtMb(mean(rss)), notes: `mean of ${pools.length} pools; PSS ${fmtMb(mean(pss))} (shared pages split); coordinator RSS ${fmtMb(idleCoord)} idle, ${fmtMb(withPools)} with them` });
    } finally {
      await stopCoord(c);
    }
  } catch (err) {
    progress(`scale: pool RSS: ERROR ${message(err)}`);
    row({ section: 'scale', name: 'RSS per live pool', result: 'error', notes: message(err) });
  } finally {
    t.remove();
  }
}
