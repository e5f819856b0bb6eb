// Dependency cycles among a batch's jobs, found without recursion (a batch may hold 10,000
// jobs in one chain): shared by the batch-file reader and the wire parser of batches.

/**
 * A cycle among `names`, where `edges(name)` are the names it waits for, as the path that
 * closes it (`['mesh', 'solve', 'mesh']`), or null when there is none. Unknown names in
 * edges are ignored (the callers report them).
 */
export function findCycle(names: readonly string[], edges: (name: string) => readonly string[]): string[] | null {
  const known = new Set(names);
  const done = new Set<string>();
  for (const start of names) {
    if (done.has(start)) continue;
    const path: string[] = [start];
    const onPath = new Set([start]);
    const cursors: number[] = [0];
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top] ?? '';
      const next = edges(node)[cursors[top] ?? 0];
      if (next === undefined) {
        done.add(node);
        onPath.delete(node);
        path.pop();
        cursors.pop();
        continue;
      }
      cursors[top] = (cursors[top] ?? 0) + 1;
      if (!known.has(next) || done.has(next)) continue;
      if (onPath.has(next)) return [...path.slice(path.indexOf(next)), next];
      path.push(next);
      onPath.add(next);
      cursors.push(0);
    }
  }
  return null;
}

/** A cycle as people read it: `mesh -> solve -> mesh`. */
export function cycleText(cycle: readonly string[]): string {
  return cycle.join(' -> ');
}
