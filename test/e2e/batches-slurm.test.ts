// A batch on the test bed's Slurm cluster, whose nodes n1 (big) and n2 (small) each have
// their own /scratch/jms: the batch builds once on the cluster, on one node; each job gets
// its staged files on its own node (copied in a step of its pool's Slurm job) and the
// build's directory (on the other node, a copy through the coordinator), runs in its job
// directory there, and what it saved comes back into the archive here with its stdout;
// the scratch directories, the build's and the staged files are then removed on both nodes.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { archived, batchSpec, client, one, submitBatch, type View } from '../helpers/requests.js';
import { clusterSite, noneLeft, start } from '../helpers/slurm-site.js';
import { holdBoxes, node, slurm, type SlurmNode } from '../helpers/testbed.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(300_000);

const HOSTS = `hosts:
  - name: local
    slots: 1
    tags: [cpu]
  - name: cluster
    slurm:
      partition: debug
      max_pools: 3
      time: 10m
    tags: [big, small, cluster]
    dir: /scratch/jms
`;

/** What JMS left on a node's disk: job directories, and the batch's staging area if any. */
function leftOn(n: SlurmNode): string[] {
  const dir = n.dirs.scratch;
  const jobs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((e) => e.startsWith('jms_')) : [];
  const stage = join(dir, '.jms-stage', 'alice', 'sweep');
  return fs.existsSync(stage) ? [...jobs, stage] : jobs;
}

t.test('a batch on a cluster with node-local disks: built once, files staged on each node, saved files archived, nothing left', async (t) => {
  const cl = slurm(t);
  if (cl === null) return;
  const nodes = [node(cl, 'n1'), node(cl, 'n2')];
  await holdBoxes(t, nodes);
  const before = new Map(nodes.map((n) => [n.name, new Set(leftOn(n))]));
  const s = clusterSite(t, HOSTS);
  const c = await start(t, s, cl);
  const api = await client(t, s);
  const src = join(s.dir, 'case');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(join(src, 'base.msh'), 'base mesh\n');
  fs.writeFileSync(join(src, 'solve.sh'), '#!/bin/sh\nmkdir -p results; echo "$1 $(cat input.msh) built-on-$(cat "$JMS_BUILD_DIR/tool")" > results/out.txt; hostname\n', { mode: 0o755 });
  const files = [{ from: join(src, 'base.msh'), as: 'input.msh' }, { from: join(src, 'solve.sh'), as: 'solve.sh' }];
  // Two jobs a node, so one node's jobs run where the build did not.
  const jobs = ['big', 'small'].flatMap((tag) => [1, 2].map((n) => ({ name: `${tag}${n}`, command: `./solve.sh ${tag}${n}`, needs: [tag], files })));
  const r = await submitBatch(api, batchSpec({ name: 'sweep', needs: ['cluster'], build: 'hostname > tool', save: 'results' }, jobs));
  t.match(r, { kind: 'batch-submitted', batch: 'alice/sweep', jobs: 5, builds: 1 }, 'one build for the cluster, four jobs');
  const first = Number(r['firstJobId']);
  const views: View[] = [];
  for (let id = first; id < first + 5; id++) views.push(await archived(api, id, 120_000));
  const [build, ...done] = views;
  t.match(build, { kind: 'build', name: 'build@cluster', host: 'cluster', result: { kind: 'exited', code: 0 } }, 'the build ran on the cluster');
  const archive = join(s.out, 'archive', 'alice', 'sweep');
  const ranOn = new Map<string, string>();
  let builtOn: string | null = null;
  for (const j of done) {
    const name = String(j['name']);
    t.match(j, { host: "cluster", result: { kind: "exited", code: 0 } }, `${name} succeeded on the cluster: ${JSON.stringify(j.result)}`);
    const stdout = fs.readFileSync(join(archive, name, `stdout_${String(j['jobId'])}`), 'utf8').trim();
    ranOn.set(name, stdout);
    t.equal(stdout, name.startsWith('big') ? 'n1' : 'n2', `${name} ran on the node its tag asks for, and its stdout came back`);
    const out = fs.readFileSync(join(archive, name, 'results', 'out.txt'), 'utf8');
    const m = /^(\S+) base mesh built-on-(n\d)\n$/.exec(out);
    t.ok(m !== null && m[1] === name, `${name}: its staged files and the build's directory on its node: ${JSON.stringify(out)}`);
    builtOn ??= m?.[2] ?? null;
    t.equal(m?.[2], builtOn, `${name}: the one build's output`);
  }
  t.ok(builtOn !== null && [...ranOn.values()].some((n) => n !== builtOn), `jobs ran on a node the build did not (built on ${String(builtOn)}; jobs on ${[...ranOn.values()].join(', ')})`);
  await waitFor('scratch, build and staged directories removed on both nodes', () => nodes.every((n) => {
    const was = before.get(n.name) ?? new Set<string>();
    return leftOn(n).every((e) => was.has(e));
  }), 30_000, 200).catch(() => undefined);
  for (const n of nodes) {
    const was = before.get(n.name) ?? new Set<string>();
    t.same(leftOn(n).filter((e) => !was.has(e)), [], `nothing of the batch left on ${n.name}'s disk`);
  }
  t.match(await one(api, { kind: 'status-batch', batch: 'sweep' }), {
    batch: { state: 'done', jobs: 4, outcomes: { succeeded: 4 }, builds: [{ host: 'cluster', outcome: 'succeeded' }] },
  });
  await one(api, { kind: 'shutdown' }).catch(() => undefined);
  await c.exited;
  await noneLeft(t, cl, s);
});
