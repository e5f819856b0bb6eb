// pool/job-dir.ts's pathUnder: path.join for one plain component, with the directory's
// normal form worked out once; it must agree with path.join for any directory.

import { join } from 'node:path';
import t from 'tap';
import { pathUnder } from '../../pool/job-dir.js';

t.test('pathUnder(dir, name) is join(dir, name)', async (t) => {
  const dirs = ['/a', '/a/', '/', '.', '', './', 'a', 'a/', 'a/..', '../a', 'a//b', '/a/./b/', '//x', '/a/b/../c', 'out dir/with space'];
  for (const dir of dirs) {
    for (const name of ['sdi1234_5_678', 'x']) {
      // Twice: the second comes from the cache.
      t.equal(pathUnder(dir, name), join(dir, name), `${JSON.stringify(dir)} + ${name}`);
      t.equal(pathUnder(dir, name), join(dir, name), `${JSON.stringify(dir)} + ${name}, again`);
    }
  }
});
