// `~/…` in a path a hosts file gives for another machine: that machine's home directory,
// expanded where the path is used (the pool program, on its host).

import os from 'node:os';
import { join } from 'node:path';

export function expandHome(path: string): string {
  if (path === '~') return os.homedir();
  return path.startsWith('~/') ? join(os.homedir(), path.slice(2)) : path;
}
