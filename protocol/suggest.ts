// "Did you mean": the closest of a set of names to what was typed, by edit distance, for
// the error messages of files (hosts, batches) where a key is misspelt.

/** The name closest to `typed`, or null when none is close enough to be a likely slip. */
export function closest(typed: string, names: readonly string[]): string | null {
  const t = typed.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = distance(t, name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(typed.length / 3)) ? best : null;
}

/** Levenshtein distance, with `-` and `_` counted equal (suspend-outside is suspend_outside). */
function distance(a: string, b: string): number {
  const same = (x: string | undefined, y: string | undefined): boolean => x === y || (x === '-' && y === '_') || (x === '_' && y === '-');
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = same(a[i - 1], b[j - 1]) ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
