// The pools' ledgers under a coordinator's -l path, read back with the protocol's own
// reader (as a restarted coordinator reads them).

import fs from 'node:fs';
import { join } from 'node:path';
import { scanRecords } from '../../protocol/crc-lines.js';
import { LEDGER_SUFFIX, LedgerReader, type LedgerView } from '../../protocol/ledger.js';

export function ledgerDir(out: string): string {
  return join(out, '.jms', 'pools');
}

/** Every ledger left under `out`, by pool key. */
export function ledgers(out: string): Map<string, LedgerView> {
  const views = new Map<string, LedgerView>();
  const dir = ledgerDir(out);
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!name.endsWith(LEDGER_SUFFIX)) continue;
    const reader = new LedgerReader();
    for (const r of scanRecords(fs.readFileSync(join(dir, name))).records) reader.add(r);
    views.set(name.slice(0, -LEDGER_SUFFIX.length), reader.view);
  }
  return views;
}
