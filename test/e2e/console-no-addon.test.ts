// The console without its addon (jms_fifo.node: mkfifo and isatty), as a copied bundle with
// no build/Release near it runs: it makes its FIFOs with the mkfifo program and asks
// process.stdout whether it is a terminal, and answers exactly as the console with the addon
// does. Which path each took is read from the built-in modules it loaded (node:child_process
// for the mkfifo program; node:net never, for a one-shot command with the addon).

import fs from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { CONSOLE, run, startCoord } from '../helpers/coord.js';

// tap puts its own loader into every child's NODE_OPTIONS (what that loads is not the
// console's), so the console runs under `env -u NODE_OPTIONS`.
const PRELOAD = `process.on('exit', () => require('fs').writeFileSync(process.env.JMS_TEST_MODULES, process.moduleLoadList.join('\\n')));\n`;

t.test('a console without its addon answers as one with it', async (t) => {
  const c = await startCoord(t);
  const copy = fs.mkdtempSync(join(os.tmpdir(), 'jms-no-addon-'));
  t.teardown(() => fs.rmSync(copy, { recursive: true, force: true }));
  const near = [copy, dirname(copy), dirname(dirname(copy))].map((d) => join(d, 'build', 'Release', 'jms_fifo.node'));
  t.same(near.filter((f) => fs.existsSync(f)), [], 'no jms_fifo.node where the copy would find one');
  for (const f of ['jms_console.cjs', 'console.bundle.cjs']) fs.copyFileSync(join(dirname(CONSOLE), f), join(copy, f));
  const preload = join(copy, 'modules.cjs');
  fs.writeFileSync(preload, PRELOAD);

  const answer = async (consoleFile: string, line: string): Promise<{ code: number | null; stdout: string; stderr: string; modules: string }> => {
    const modules = join(copy, `modules-${Math.random().toString(36).slice(2)}.txt`);
    const argv = ['-u', 'NODE_OPTIONS', process.execPath, '-r', preload, consoleFile, '-w', c.jmsIn, '-r', c.jmsOut, ...line.split(' ')];
    const r = await run('env', argv, { cwd: c.dir, env: { JMS_TEST_MODULES: modules } });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, modules: fs.readFileSync(modules, 'utf8') };
  };

  const first = await answer(join(copy, 'jms_console.cjs'), 'submit /bin/echo from-the-copy');
  t.equal(first.code, 0, `the copy's submit succeeds ${first.stderr}`);
  t.match(first.stdout, /^JobID: 1, PID: \d+\n$/, 'the copy submits');
  t.match(first.modules, /NativeModule child_process/, 'the copy made its FIFOs with the mkfifo program');
  await c.ok('wait 1');
  for (const line of ['status 1', 'status-all', '--json status 1', 'status 99', 'logs 1']) {
    const copied = await answer(join(copy, 'jms_console.cjs'), line);
    const built = await answer(CONSOLE, line);
    t.same({ code: copied.code, stdout: copied.stdout, stderr: copied.stderr }, { code: built.code, stdout: built.stdout, stderr: built.stderr }, `'${line}': the same answer either way`);
    t.notMatch(built.modules, /^NativeModule (net|child_process)$/m, `'${line}' with the addon: no node:net, no node:child_process`);
  }
  t.same(fs.readdirSync(dirname(c.jmsIn)).filter((n) => n.startsWith('jms_console-')), [], 'neither left a private directory behind');
});
