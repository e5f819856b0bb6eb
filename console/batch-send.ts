// submit-batch on the wire: the BatchSpec as JSON text, cut into parts whose data fits a
// frame (BATCH_PART_BYTES once escaped as a JSON string, never inside a character), sent in
// order under one random token; the console's environment rides on the last part.

import type { BatchSpec } from '../protocol/batch.js';
import type { Reply } from '../protocol/messages.js';
import { BATCH_PART_BYTES, MAX_BATCH_PARTS } from '../protocol/parse-batch.js';
import type { Connection } from './connection.js';

/** Bytes `ch` (one code point) takes inside a JSON string. */
function escapedBytes(ch: string): number {
  const c = ch.codePointAt(0) ?? 0;
  if (c === 0x22 || c === 0x5c) return 2;
  if (c < 0x20) return c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdfff) return 6; // a lone surrogate is written \udxxx
  return c > 0xffff ? 4 : 3;
}

/** `text` in pieces each at most `most` bytes once written as a JSON string (quotes aside). */
export function splitParts(text: string, most = BATCH_PART_BYTES): string[] {
  const parts: string[] = [];
  let start = 0;
  let at = 0;
  let size = 0;
  for (const ch of text) {
    const n = escapedBytes(ch);
    if (size + n > most && at > start) {
      parts.push(text.slice(start, at));
      start = at;
      size = 0;
    }
    size += n;
    at += ch.length;
  }
  if (at > start || parts.length === 0) parts.push(text.slice(start, at));
  return parts;
}

/** The environment part of a request: whole, or by its key once the coordinator has it. */
export type EnvFields = { env: Record<string, string> } | { envKey: string };

export type SendOutcome = { reply: Extract<Reply, { kind: 'batch-submitted' }> } | { error: Extract<Reply, { kind: 'error' }> } | { failed: string };

/** Sends the batch; the coordinator's last answer (batch-submitted or an error), or why it could not be sent. */
export async function sendBatch(conn: Connection, spec: BatchSpec, env: EnvFields, signal?: AbortSignal): Promise<SendOutcome> {
  const parts = splitParts(JSON.stringify(spec));
  if (parts.length > MAX_BATCH_PARTS) {
    return { failed: `the batch is ${parts.length} parts of ${BATCH_PART_BYTES} bytes, more than the ${MAX_BATCH_PARTS} a batch may have; split it into several batches.` };
  }
  const token = globalThis.crypto.randomUUID();
  for (const [part, data] of parts.entries()) {
    const last = part === parts.length - 1;
    const body = { kind: 'submit-batch' as const, token, part, parts: parts.length, data, ...(last ? env : {}) };
    const reply = await conn.request(body, undefined, signal);
    if (reply.kind === 'error') return { error: reply };
    if (last && reply.kind === 'batch-submitted') return { reply };
    if (!last && reply.kind === 'batch-part' && reply.part === part) continue;
    return { failed: `the coordinator answered part ${part + 1} of ${parts.length} of the batch with '${reply.kind}'; use a jms_coord of the same JMS version.` };
  }
  return { failed: 'the batch had no parts to send.' };
}
