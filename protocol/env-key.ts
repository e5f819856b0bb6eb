// The key of a job environment: the same on both sides of a pipe, so an environment
// crosses each pipe once (a console's first submit, a pool's first job with it) and
// later frames name it by key.

import { createHash } from 'node:crypto';

export function envKey(env: Record<string, string>): string {
  return createHash('sha1').update(JSON.stringify(env)).digest('base64url').slice(0, 20);
}
