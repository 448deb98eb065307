// Spreadsheets evaluate cells that start with these as formulas (CSV/formula injection);
// `|` starts a DDE link in older Excel and `%` an environment expansion in some importers.
const FORMULA_START = /^[=+\-@\t\r|%]/;

/** One CSV cell: formula-looking text gets a leading apostrophe, then RFC 4180 quoting. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 text with CRLF line ends and a header row. */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}
