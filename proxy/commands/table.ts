/** Writes rows under a header, columns padded to their widest cell; the last column is not padded. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  for (const row of [header, ...rows]) {
    const cells = row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)));
    process.stdout.write(`${cells.join("  ")}\n`);
  }
}

/** A list command's output: the views as JSON, `empty` when there are none, or a table. */
export function printList<T>(
  views: readonly T[],
  opts: { json?: boolean },
  empty: string,
  header: readonly string[],
  rows: (view: T) => string[][],
): number {
  if (opts.json) process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
  else if (views.length === 0) process.stdout.write(`${empty}\n`);
  else printTable(header, views.flatMap(rows));
  return 0;
}
