// The key of a job environment: the same on both sides of a pipe, so an environment
// crosses each pipe once (a console's first submit, a pool's first job with it) and
// later frames name it by key. A frozen environment (the console's own) is hashed once,
// and node:crypto is loaded only when a key is first needed (a one-shot console never
// needs one, and loading it is a few ms of its start-up).

import { createRequire } from 'node:module';

function crypto(): typeof import('node:crypto') {
  // process.getBuiltinModule is Node >= 20.16; require before it.
  return typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:crypto') : (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));
}

/** Keys of frozen environments, which cannot change after they were hashed. */
const known = new WeakMap<Readonly<Record<string, string>>, string>();

export function envKey(env: Readonly<Record<string, string>>): string {
  const cached = known.get(env);
  if (cached !== undefined) return cached;
  const key = crypto().createHash('sha1').update(JSON.stringify(env)).digest('base64url').slice(0, 20);
  if (Object.isFrozen(env)) known.set(env, key);
  return key;
}
