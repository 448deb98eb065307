import type { Db, Tx } from "@/db/client";
import { canonicalJson } from "@/lib/core/canonical-json";
import { newId } from "@/lib/core/ids";
import { actorColumns, type ServiceContext, withTransaction } from "../context";
import { type AuditFields, appendChained } from "./chain";

type Snapshot = Record<string, unknown>;
type Target = { type: string; id: string };

export type ConsoleEntry = {
  action: string; // entity.verb
  target: Target;
  before?: Snapshot | null;
  after?: Snapshot | null;
  server?: string | null;
  tool?: string | null;
  reason?: string | null;
  extra?: Snapshot;
};

const IGNORED_FIELDS = new Set(["createdAt", "updatedAt", "lastSeenAt", "lastUsedAt"]);

/**
 * Records a change made by `ctx.actor`, with before/after and the changed fields. Runs inside
 * the caller's IMMEDIATE transaction: if it throws, the change it describes rolls back.
 * Returns null (and writes nothing) for an update that changed nothing.
 */
export function appendAudit(tx: Tx, ctx: ServiceContext, entry: ConsoleEntry): string | null {
  const changed = entry.before && entry.after ? changedFields(entry.before, entry.after) : null;
  if (changed?.length === 0) return null;
  const id = newId("event");
  appendChained(tx, [
    {
      id,
      occurredAt: ctx.now().getTime(),
      source: ctx.source,
      ...actorColumns(ctx.actor),
      action: entry.action,
      server: entry.server ?? null,
      tool: entry.tool ?? null,
      reason: entry.reason ?? null,
      targetType: entry.target.type,
      targetId: entry.target.id,
      detail: canonicalJson({
        before: entry.before ?? null,
        after: entry.after ?? null,
        changedFields: changed,
        ...entry.extra,
      }),
      requestId: ctx.requestId,
      remoteIp: ctx.remoteIp ?? null,
    },
  ]);
  return id;
}

/** Appends prepared rows (tool-call decisions and outcomes) in the caller's transaction. */
export function appendEvents(tx: Tx, rows: readonly AuditFields[]): void {
  appendChained(tx, rows);
}

/** Appends one event in its own IMMEDIATE transaction; returns its id, throws if the database refused. */
export function appendEvent(db: Db, row: Omit<AuditFields, "id">): string {
  const id = newId("event");
  withTransaction({ db }, (tx) => appendChained(tx, [{ id, ...row }]));
  return id;
}

function changedFields(before: Snapshot, after: Snapshot): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter(
    (k) => !IGNORED_FIELDS.has(k) && canonicalJson(before[k]) !== canonicalJson(after[k]),
  );
}
