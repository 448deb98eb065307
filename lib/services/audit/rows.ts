import { sqliteHandle } from "@/db/client";
import type { AuditEvent } from "@/db/schema";
import { AuditFilterInput } from "@/lib/core/audit/inputs";
import { requireEditor, type ServiceContext } from "../context";
import { matchingRows } from "./matching";

/**
 * Stored rows matching the filter, oldest first, in keyset pages: one query per page, so the
 * caller may wait (for an output stream to drain) between pages without holding a reader open.
 * Arguments and details are as stored, unmasked: editors, admins and the system only.
 */
export function* pageAuditRows(
  ctx: ServiceContext,
  raw: AuditFilterInput,
  pageSize = 1000,
): Generator<AuditEvent[]> {
  requireEditor(ctx);
  const filter = AuditFilterInput.parse(raw);
  let cursor = 0;
  for (;;) {
    const page = matchingRows(ctx.db, {
      filter,
      newest: false,
      cursor,
      limit: pageSize,
      searchArguments: true,
    });
    const last = page.at(-1);
    if (!last) return;
    yield page;
    cursor = last.seq;
  }
}

/**
 * About how many rows match the filter, for a progress bar: the log's row count when the
 * filter has no condition, otherwise a count of the matching rows. Editors, admins and the system.
 */
export function countAuditRows(ctx: ServiceContext, raw: AuditFilterInput): number {
  requireEditor(ctx);
  const filter = AuditFilterInput.parse(raw);
  const conditions = Object.entries(filter).filter(
    ([k, v]) => v !== undefined && !(k === "view" && v === "all"),
  );
  if (conditions.length === 0)
    return sqliteHandle(ctx.db)
      .prepare("SELECT count(*) FROM audit_events")
      .pluck()
      .get() as number;
  let n = 0;
  for (const page of pageAuditRows(ctx, filter, 5000)) n += page.length;
  return n;
}
