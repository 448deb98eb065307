import { asc, count, gt } from "drizzle-orm";

import { type AuditEvent, auditEvents } from "@/db/schema";
import { AuditFilterInput } from "@/lib/core/audit/inputs";
import { requireEditor, type ServiceContext } from "../context";
import { filterClauses, whereOf } from "./filters";

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
    const page = ctx.db
      .select()
      .from(auditEvents)
      .where(whereOf([...filterClauses(filter), gt(auditEvents.seq, cursor)]))
      .orderBy(asc(auditEvents.seq))
      .limit(pageSize)
      .all();
    const last = page.at(-1);
    if (!last) return;
    yield page;
    cursor = last.seq;
  }
}

/** How many rows match the filter (for a progress bar). Editors, admins and the system. */
export function countAuditRows(ctx: ServiceContext, raw: AuditFilterInput): number {
  requireEditor(ctx);
  const filter = AuditFilterInput.parse(raw);
  return (
    ctx.db
      .select({ n: count() })
      .from(auditEvents)
      .where(whereOf(filterClauses(filter)))
      .get()?.n ?? 0
  );
}
