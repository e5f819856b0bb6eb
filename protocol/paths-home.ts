// `~/…` in a path a hosts file gives for another machine: that machine's home directory,
// expanded where the path is used (the pool program, on its host).

import { join } from 'node:path';
import { homeDir } from './node-os.js';

export function expandHome(path: string): string {
  if (path === '~') return homeDir();
  return path.startsWith('~/') ? join(homeDir(), path.slice(2)) : path;
}
