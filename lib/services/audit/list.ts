import { and, asc, desc, eq, gt, inArray, sql } from "drizzle-orm";

import { type AuditEvent, auditEvents } from "@/db/schema";
import { ListAuditInput } from "@/lib/core/audit/inputs";
import type { AuditEventDetail, AuditPage } from "@/lib/core/audit/views";
import { notFound } from "@/lib/core/errors";
import { requireViewer, type ServiceContext } from "../context";
import { matchingRows } from "./matching";
import { roleOf, toAuditEventView } from "./views";

/**
 * One page of the audit log, keyset-paged by `seq` (`cursor` = the last seq of the previous
 * page), filtered and sorted by an allowlisted order. Viewers get arguments masked.
 */
export function listAuditEvents(ctx: ServiceContext, raw: ListAuditInput = {}): AuditPage {
  requireViewer(ctx);
  const input = ListAuditInput.parse(raw);
  const newest = input.sort === "newest";
  const role = roleOf(ctx);
  const rows = matchingRows(ctx.db, {
    filter: input,
    newest,
    cursor: input.cursor,
    limit: input.limit + 1,
    searchArguments: role !== "viewer",
  });
  const more = rows.length > input.limit;
  const page = more ? rows.slice(0, input.limit) : rows;
  const result: AuditPage = {
    rows: page.map((r) => toAuditEventView(r, role)),
    nextCursor: more ? (page.at(-1)?.seq ?? null) : null,
    headSeq: headSeq(ctx),
  };
  if (input.withOutcomes) {
    const ids = page.filter((r) => r.action === "tool_call.decide").map((r) => r.id);
    result.outcomes = {};
    if (ids.length) {
      const outcomes = ctx.db
        .select()
        .from(auditEvents)
        .where(
          and(inArray(auditEvents.correlationId, ids), eq(auditEvents.action, "tool_call.outcome")),
        )
        .all();
      for (const o of outcomes)
        if (o.correlationId) result.outcomes[o.correlationId] = toAuditEventView(o, role);
    }
  }
  return result;
}

export function headSeq(ctx: Pick<ServiceContext, "db">): number {
  return (
    ctx.db
      .select({ seq: sql<number>`coalesce(max(${auditEvents.seq}), 0)` })
      .from(auditEvents)
      .get()?.seq ?? 0
  );
}

/** One event with its outcome (for a decision) or its decision (for an outcome). */
export function getAuditEvent(ctx: ServiceContext, id: string): AuditEventDetail {
  requireViewer(ctx);
  const row = ctx.db.select().from(auditEvents).where(eq(auditEvents.id, id)).get();
  if (!row) throw notFound("audit event", id);
  const role = roleOf(ctx);
  let outcome: AuditEvent | undefined;
  let decision: AuditEvent | undefined;
  if (row.action === "tool_call.decide") {
    outcome = ctx.db
      .select()
      .from(auditEvents)
      .where(
        sql`${auditEvents.correlationId} = ${row.id} AND ${auditEvents.action} = 'tool_call.outcome'`,
      )
      .orderBy(desc(auditEvents.seq))
      .limit(1)
      .get();
  } else if (row.correlationId) {
    decision = ctx.db.select().from(auditEvents).where(eq(auditEvents.id, row.correlationId)).get();
  }
  return {
    event: toAuditEventView(row, role),
    outcome: outcome ? toAuditEventView(outcome, role) : null,
    decision: decision ? toAuditEventView(decision, role) : null,
  };
}

/** Rows after `afterSeq`, oldest first: what the live stream sends next. */
export function tailAuditEvents(ctx: ServiceContext, afterSeq: number, limit = 500): AuditEvent[] {
  requireViewer(ctx);
  return ctx.db
    .select()
    .from(auditEvents)
    .where(gt(auditEvents.seq, afterSeq))
    .orderBy(asc(auditEvents.seq))
    .limit(limit)
    .all();
}
