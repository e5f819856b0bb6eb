// Durations as people type them, for the console and the coordinator alike: `90` (seconds),
// `90s`, `15m`, `2h`, `1h30m`, `1d`, and back again for answers (`1h30m`).

/** Longest timeout or pause: 100 days. */
export const MAX_DURATION_SEC = 100 * 24 * 3600;

const UNIT_SEC: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };

/** Whole seconds, or null when `text` is not a duration of at least one second. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return positive(Number(t));
  // Units largest first, each at most once: 1h30m, not 30m1h or 1m1m.
  if (t === '' || !/^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$/.test(t)) return null;
  let sec = 0;
  for (const [, n = '0', unit = 's'] of t.matchAll(/(\d+)([dhms])/g)) sec += Number(n) * (UNIT_SEC[unit] ?? 1);
  return positive(sec);
}

function positive(sec: number): number | null {
  return Number.isSafeInteger(sec) && sec >= 1 ? sec : null;
}

export function formatDuration(totalSec: number): string {
  let left = Math.max(0, Math.round(totalSec));
  if (left === 0) return '0s';
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_SEC)) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  return out;
}

export const DURATION_HELP = "a duration such as 90 (seconds), 90s, 15m, 2h or 1h30m";
