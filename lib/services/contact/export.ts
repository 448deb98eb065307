import { desc } from "drizzle-orm";

import { contactMessages as m } from "@/db/schema";
import { toCsv } from "@/lib/core/contact/csv";
import { ListMessagesInput } from "@/lib/core/contact/inputs";
import { requireViewer, type ServiceContext } from "../context";
import { messageWhere } from "./list";

export const EXPORT_MAX_ROWS = 50_000;

const HEADER = [
  "id",
  "received_at",
  "name",
  "email",
  "company",
  "message",
  "read_at",
  "archived_at",
];

/**
 * The messages matching the inbox filter and search as CSV, newest first. Any signed-in role may
 * export what it can already read. Cells that a spreadsheet would run as a formula are defused.
 */
export function exportContactMessagesCsv(
  ctx: ServiceContext,
  raw: ListMessagesInput | Record<string, unknown>,
): { csv: string; rows: number } {
  requireViewer(ctx);
  const input = ListMessagesInput.parse(raw);
  const rows = ctx.db
    .select()
    .from(m)
    .where(messageWhere(input.filter, input.q))
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(EXPORT_MAX_ROWS)
    .all();
  const csv = toCsv(
    HEADER,
    rows.map((r) => [
      r.id,
      r.createdAt.toISOString(),
      r.name,
      r.email,
      r.company,
      r.message,
      r.readAt?.toISOString() ?? null,
      r.archivedAt?.toISOString() ?? null,
    ]),
  );
  return { csv, rows: rows.length };
}
