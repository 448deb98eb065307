function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** The closest candidate by edit distance, or null when nothing is plausibly meant. */
export function nearest(input: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  const lowered = input.toLowerCase();
  for (const candidate of candidates) {
    const d = distance(lowered, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const tolerance = Math.max(2, Math.ceil(input.length / 2));
  return bestDistance <= tolerance ? best : null;
}

/** `unknown key "x" (did you mean "y"?)`, or listing the valid keys when none is close. */
export function unknownKeyMessage(key: string, valid: readonly string[]): string {
  const guess = nearest(key, valid);
  return guess
    ? `unknown key "${key}" (did you mean "${guess}"?)`
    : `unknown key "${key}" (valid keys: ${valid.join(", ")})`;
}
