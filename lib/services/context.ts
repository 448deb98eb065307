import { is } from "drizzle-orm";
import { SQLiteTransaction } from "drizzle-orm/sqlite-core";

import type { Db, Tx } from "@/db/client";
import type { Role } from "@/db/schema";
import { AppError } from "@/lib/core/errors";

export type Actor =
  | { type: "user"; userId: string; label: string; role: Role }
  | { type: "agent"; agentId: string; keyId: string | null; label: string }
  | { type: "system"; job: string }
  | { type: "anonymous" };

export type AuditSource = "console" | "gateway" | "stdio" | "cli" | "system";

export type ServiceContext = {
  db: Db | Tx;
  actor: Actor;
  source: AuditSource;
  requestId: string;
  now: () => Date;
  remoteIp?: string;
  userAgent?: string;
};

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/**
 * Throws FORBIDDEN unless the actor is a user with at least `role`, or the system itself
 * (seed, CLI run by the operator on the host). Call it first in every verb.
 */
export function requireRole(ctx: ServiceContext, role: Role): void {
  if (ctx.actor.type === "system") return;
  if (ctx.actor.type === "user" && RANK[ctx.actor.role] >= RANK[role]) return;
  if (ctx.actor.type === "user") {
    throw new AppError("FORBIDDEN", `This needs the ${role} role; you are ${ctx.actor.role}`);
  }
  throw new AppError("UNAUTHENTICATED", "Sign in first");
}

export const requireAdmin = (ctx: ServiceContext) => requireRole(ctx, "admin");
export const requireEditor = (ctx: ServiceContext) => requireRole(ctx, "editor");
export const requireViewer = (ctx: ServiceContext) => requireRole(ctx, "viewer");

/**
 * better-sqlite3 transactions are synchronous: `fn` must not be async, or the work after
 * its first `await` runs outside the transaction. IMMEDIATE takes the write lock up front
 * so the console and the gateways queue instead of failing on lock upgrade. Reuses a
 * transaction already on `ctx`.
 */
export function withTransaction<T>(ctx: ServiceContext | { db: Db | Tx }, fn: (tx: Tx) => T): T {
  if (is(ctx.db, SQLiteTransaction)) return fn(ctx.db as Tx);
  return (ctx.db as Db).transaction(fn, { behavior: "immediate" });
}

export function actorColumns(actor: Actor): {
  actorType: "user" | "agent" | "system" | "anonymous";
  actorId: string | null;
  actorLabel: string | null;
} {
  switch (actor.type) {
    case "user":
      return { actorType: "user", actorId: actor.userId, actorLabel: actor.label };
    case "agent":
      return { actorType: "agent", actorId: actor.agentId, actorLabel: actor.label };
    case "system":
      return { actorType: "system", actorId: null, actorLabel: actor.job };
    case "anonymous":
      return { actorType: "anonymous", actorId: null, actorLabel: null };
  }
}

export function actorName(actor: Actor): string {
  return actorColumns(actor).actorLabel ?? "anonymous";
}
