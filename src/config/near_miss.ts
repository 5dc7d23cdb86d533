/** "Did you mean ...?": the known name closest to a misspelt one, by edit distance. */

/**
 * The edit distance between `a` and `b`, without case: insertions, deletions, substitutions and
 * swaps of two neighbouring characters cost 1 each (optimal string alignment), so that `dhpc` is
 * one slip away from `dhcp`.
 */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = [];
  for (let i = 0; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const up = d[i - 1]!;
      let best = Math.min(
        up[j]! + 1,
        row[j - 1]! + 1,
        up[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      row.push(best);
    }
    d.push(row);
  }
  return d[x.length]![y.length]!;
}

/**
 * The candidate nearest to `word`, if it is near enough to be a slip of the keyboard: at most 2
 * edits, and at most a third of the longer name's length, so that short unrelated names (`x` and
 * `ip`) are not offered. Ties go to the earlier candidate.
 */
export function nearMiss(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    const allowed = Math.min(2, Math.floor(Math.max(word.length, candidate.length) / 3));
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
