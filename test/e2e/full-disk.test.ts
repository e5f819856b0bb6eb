// A full disk under the journal (-l on a small tmpfs of the test's own): submits are
// refused with one clear line and never run later, reads are still answered, nothing
// half-written reaches the journal, submits work again once there is room, and after
// a restart exactly what the consoles were told is on record.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { scanRecords } from '../../protocol/crc-lines.js';
import type { RunResult } from '../helpers/coord.js';
import { crash, launch, consoleRun, ok, shutdown, site, type Site } from '../helpers/site.js';
import { fill, MOUNT, tmpfs } from '../helpers/tmpfs.js';
import { waitFor } from '../helpers/wait.js';

const ACK = /^JobID: (\d+), (PID: \d+|Queued \(position \d+\))\n$/;

function sideTags(s: Site): string[] {
  const f = join(s.dir, 'side');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** A submit's answer, or null if none came within `ms` (it may be waiting for the disk). */
function answerWithin(p: Promise<RunResult>, ms: number): Promise<RunResult | null> {
  return Promise.race([p, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
}

t.test('the journal on a full disk', { skip: MOUNT === false ? 'needs root to mount a small tmpfs (not root here)' : false }, async (t) => {
  const disk = tmpfs(t, 'size=1m,nr_inodes=2000');
  const s = site(t, ['-n', '3']);
  s.out = join(disk, 'out');
  const a = await launch(t, s);
  const side = join(s.dir, 'side');
  const told = new Map<string, number | 'refused' | 'failed'>();
  const submit = (tag: string): Promise<RunResult> => consoleRun(s, `submit echo ${tag} >> ${side}`);

  for (const tag of ['before1', 'before2']) {
    const r = await submit(tag);
    t.match(r.stdout, ACK, `${tag} is accepted while there is room`);
    told.set(tag, Number(ACK.exec(r.stdout)?.[1]));
  }
  t.ok(fill(disk, 'bytes') > 0, 'the disk is now full');

  // Submit until one is refused; an answer that waits (its record waits for room) is kept.
  const pending: Array<[string, Promise<RunResult>]> = [];
  let refusal = '';
  for (let i = 0; i < 30 && refusal === ''; i++) {
    const tag = `full${i}`;
    const p = submit(tag);
    const r = await answerWithin(p, 3000);
    if (r === null) pending.push([tag, p]);
    else if (r.code === 0) told.set(tag, Number(ACK.exec(r.stdout)?.[1]));
    else if (/not accepted/.test(r.stderr)) {
      told.set(tag, 'refused');
      refusal = r.stderr;
    } else told.set(tag, 'failed');
  }
  t.match(refusal, /^jms_console: error: the job was not accepted: the coordinator cannot write its records in .* \(the disk is full: ENOSPC\); free space under .* and submit again\.\n$/,
    `a submit is refused with one line saying the disk is full: ${JSON.stringify(refusal)}`);
  const reads = await consoleRun(s, 'status-all');
  t.equal(reads.code, 0, 'reads are still answered');
  t.match(reads.stdout, /^1\. JobID 1 Status: /, 'status-all lists the jobs');
  const refusedAgain = await submit('refused-again');
  t.match(refusedAgain.stderr, /not accepted.*disk is full/, 'while the disk is full, submits are refused at once');
  told.set('refused-again', 'refused');
  t.ok(a.child.exitCode === null, 'the coordinator keeps serving');

  for (const name of fs.readdirSync(disk)) if (name.startsWith('fill_')) fs.rmSync(join(disk, name));
  const back = await waitFor('submits to be accepted again', async () => {
    const r = await submit('after');
    return r.code === 0 ? r : undefined;
  }, 15_000, 300);
  told.set('after', Number(ACK.exec(back.stdout)?.[1]));
  for (const [tag, p] of pending) {
    const r = await p;
    told.set(tag, r.code === 0 ? Number(ACK.exec(r.stdout)?.[1]) : /not accepted/.test(r.stderr) ? 'refused' : 'failed');
  }

  await crash(a);
  const b = await launch(t, s);
  const ids = [...told.values()].filter((v): v is number => typeof v === 'number');
  const refused = [...told].filter(([, v]) => v === 'refused').map(([tag]) => tag);
  for (const id of ids) await waitFor(`JobID ${id} to finish`, async () => (await ok(s, `status ${id}`)) === `JobID ${id} Status: Finished`);
  const all = (await ok(s, 'status-all')).split('\n');
  t.equal(all.length, ids.length + [...told.values()].filter((v) => v === 'failed').length,
    `after the restart exactly the accepted jobs are on record (${all.length})`);
  t.same(refused.filter((tag) => sideTags(s).includes(tag)), [], 'no refused submit ever ran');
  t.same(ids.filter((id) => !all.some((l) => l.includes(`JobID ${id} `))), [], 'every acknowledged job is on record');
  const journal = scanRecords(fs.readFileSync(join(s.out, '.jms', 'journal')));
  t.equal(journal.skipped, 0, 'no torn or glued line in the journal');
  t.equal(journal.goodBytes, journal.size, 'it ends with a whole record');
  await shutdown(t, s, b, /^Served \d+ jobs, 0 were still in progress$/);
});
