import { and, desc, eq, isNotNull, isNull, lt, or, type SQL, sql } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { type ContactMessage, contactMessages as m } from "@/db/schema";
import { type InboxFilter, ListMessagesInput, MessageId } from "@/lib/core/contact/inputs";
import type { InboxCounts } from "@/lib/core/contact/views";
import { notFound } from "@/lib/core/errors";
import { requireViewer, type ServiceContext } from "../context";

export type MessageRows = {
  items: ContactMessage[];
  counts: InboxCounts;
  nextCursor: string | null;
};

function filterWhere(filter: InboxFilter): SQL | undefined {
  switch (filter) {
    case "inbox":
      return isNull(m.archivedAt);
    case "unread":
      return and(isNull(m.archivedAt), isNull(m.readAt));
    case "spam":
      return and(isNull(m.archivedAt), isNotNull(m.spamReason));
    case "archived":
      return isNotNull(m.archivedAt);
    case "all":
      return undefined;
  }
}

function searchWhere(q: string | undefined): SQL | undefined {
  if (!q) return undefined;
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const like = (col: SQL) => sql`${col} LIKE ${pattern} ESCAPE '\\'`;
  return or(
    like(sql`${m.name}`),
    like(sql`${m.email}`),
    like(sql`coalesce(${m.company}, '')`),
    like(sql`${m.message}`),
  );
}

export function messageWhere(filter: InboxFilter, q: string | undefined): SQL | undefined {
  return and(filterWhere(filter), searchWhere(q));
}

function readCounts(db: Db | Tx): InboxCounts {
  const row = db
    .select({
      all: sql<number>`count(*)`,
      archived: sql<number>`coalesce(sum(${m.archivedAt} IS NOT NULL), 0)`,
      unread: sql<number>`coalesce(sum(${m.archivedAt} IS NULL AND ${m.readAt} IS NULL), 0)`,
      spam: sql<number>`coalesce(sum(${m.archivedAt} IS NULL AND ${m.spamReason} IS NOT NULL), 0)`,
    })
    .from(m)
    .get();
  const all = Number(row?.all ?? 0);
  const archived = Number(row?.archived ?? 0);
  return {
    all,
    archived,
    inbox: all - archived,
    unread: Number(row?.unread ?? 0),
    spam: Number(row?.spam ?? 0),
  };
}

/** Newest first, keyset-paginated by (created_at, id). Any signed-in role may read. */
export function listContactMessages(
  ctx: ServiceContext,
  raw: ListMessagesInput | Record<string, unknown>,
): MessageRows {
  requireViewer(ctx);
  const input = ListMessagesInput.parse(raw);
  let cursor: SQL | undefined;
  if (input.before) {
    const [at, id] = input.before.split(":") as [string, string];
    const t = new Date(Number(at));
    cursor = or(lt(m.createdAt, t), and(eq(m.createdAt, t), lt(m.id, id)));
  }
  const rows = ctx.db
    .select()
    .from(m)
    .where(and(messageWhere(input.filter, input.q), cursor))
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit);
  const last = items.at(-1);
  return {
    items,
    counts: readCounts(ctx.db),
    nextCursor: rows.length > input.limit && last ? `${last.createdAt.getTime()}:${last.id}` : null,
  };
}

export function getContactMessage(ctx: ServiceContext, rawId: string): ContactMessage {
  requireViewer(ctx);
  const id = MessageId.parse(rawId);
  const row = ctx.db.select().from(m).where(eq(m.id, id)).get();
  if (!row) throw notFound("message", id);
  return row;
}
