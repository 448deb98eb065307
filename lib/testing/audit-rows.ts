import type { Db } from "@/db/client";
import { newId } from "@/lib/core/ids";
import { appendEvents } from "@/lib/services/audit/append";
import type { AuditFields } from "@/lib/services/audit/chain";
import { withTransaction } from "@/lib/services/context";

/** A gateway's allow decision of `echo` on `everything`, with the fields given replaced. */
export function decisionRow(over: Partial<AuditFields> = {}): AuditFields {
  return {
    id: newId("event"),
    occurredAt: Date.now(),
    source: "gateway",
    actorType: "agent",
    actorId: "agt_1",
    actorLabel: "bot",
    action: "tool_call.decide",
    server: "everything",
    tool: "echo",
    decision: "allow",
    ...over,
  };
}

/** Appends rows to the chain in one transaction. */
export function appendRows(db: Db, rows: readonly AuditFields[]): void {
  withTransaction({ db }, (tx) => appendEvents(tx, rows));
}
