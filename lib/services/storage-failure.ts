/**
 * True when `err` (or an error it wraps) comes from the database itself: busy, full, read-only,
 * I/O. Such a failure cannot be recorded either; any other failure to decide can be.
 */
export function isStorageFailure(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return true;
  }
  return false;
}
