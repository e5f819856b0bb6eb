// The header lines that say what was measured where: machine, date, commit, settings, temporary file system.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { ROOT } from './lib.js';
import { JOB, JOB_ARGV, N, NEC, RUNS } from './settings.js';

export function describeMachine(tmpRoot: string): string[] {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: keep 'unknown'.
  }
  const sh = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const commit = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', 'protocol', 'coord', 'pool', 'console']);
  const changed = dirty === '' ? '' : ` + uncommitted changes to ${dirty.split('\n').map((l) => l.replace(/^.. ?/, '').trim()).join(', ')}`;
  const label = process.env.BENCH_LABEL;
  const jms = `${commit === '' ? 'no git commit found' : `commit ${commit}${changed}`}${label ? ` (${label})` : ''}; dist/ as built`;
  const fsType = sh('stat', ['-f', '-c', '%T', tmpRoot]) || 'unknown';
  return [
    `- machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}; node ${process.version}`,
    `- date: ${new Date().toISOString()}`,
    `- JMS measured: ${jms}`,
    `- N = ${N} jobs per throughput run, median of ${RUNS} run(s) each, runs interleaved row by row; job: \`${JOB}\`, which a pool runs as \`${JOB_ARGV.join(' ')}\` — every comparator runs exactly that argv, one exec of /bin/sh per job`,
    `- temporary files under ${tmpRoot} (file system: ${fsType}); the journal's fdatasync cost depends on it`,
    `- NODE_EXTRA_CA_CERTS: ${NEC === undefined ? 'not set' : `set (${NEC}); every Node process (console, coordinator, pools, baseline) starts with it unless a row says otherwise`}`,
  ];
}
