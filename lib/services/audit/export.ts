import { AuditFilterInput, AUDIT_SORTS, EXPORT_FORMATS } from "@/lib/core/audit/inputs";
import type { AuditEventView } from "@/lib/core/audit/views";
import { z } from "zod";
import { appendAudit } from "./append";
import { requireViewer, type ServiceContext, withTransaction } from "../context";
import { jsonlLines } from "./export-jsonl";
import { matchingRows } from "./matching";
import { roleOf, toAuditEventView } from "./views";

export const ExportAuditInput = AuditFilterInput.extend({
  format: z.enum(EXPORT_FORMATS).default("jsonl"),
  sort: z.enum(AUDIT_SORTS).default("oldest"),
});
export type ExportAuditInput = z.input<typeof ExportAuditInput>;

const CSV_COLUMNS = [
  "seq",
  "id",
  "occurredAt",
  "source",
  "actorType",
  "actorId",
  "actorLabel",
  "action",
  "server",
  "tool",
  "decision",
  "cause",
  "rule",
  "reason",
  "message",
  "policyVersion",
  "argumentsMode",
  "arguments",
  "latencyMs",
  "outcome",
  "resultBytes",
  "correlationId",
  "targetType",
  "targetId",
  "detail",
  "requestId",
  "remoteIp",
  "prevHash",
  "hash",
] as const satisfies readonly (keyof AuditEventView)[];

const BATCH = 1000;

/**
 * A spreadsheet cell that cannot run as a formula: text starting with = + - @ or a control
 * character gets a leading apostrophe, and every cell is quoted.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text =
    typeof value === "string"
      ? value
      : typeof value === "number"
        ? String(value)
        : JSON.stringify(value);
  if (typeof value !== "number" && /^[=+\-@\t\r\n]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export type AuditExport = { filename: string; contentType: string; lines: Generator<string> };

/**
 * The filtered audit log as JSONL or CSV lines, read in keyset batches so memory stays flat at
 * any size. Records audit.export (with the filters) before the first line is produced.
 * Viewers get arguments masked, as in the table.
 */
export function exportAuditEvents(ctx: ServiceContext, raw: ExportAuditInput): AuditExport {
  requireViewer(ctx);
  const input = ExportAuditInput.parse(raw);
  const { format, sort, ...filters } = input;
  withTransaction(ctx, (tx) => {
    appendAudit(tx, ctx, {
      action: "audit.export",
      target: { type: "audit", id: "audit_events" },
      extra: {
        format,
        filters: Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
      },
    });
  });
  const role = roleOf(ctx);
  const newest = sort === "newest";
  function* lines(): Generator<string> {
    // Editors and admins see rows unmasked: their JSONL is built without a view object per row.
    if (format === "jsonl" && role !== "viewer") return yield* jsonlLines(ctx.db, filters, newest);
    if (format === "csv") yield `${CSV_COLUMNS.join(",")}\n`;
    let cursor: number | undefined;
    for (;;) {
      const rows = matchingRows(ctx.db, {
        filter: filters,
        newest,
        cursor,
        limit: BATCH,
        searchArguments: role !== "viewer",
      });
      for (const row of rows) {
        const view = toAuditEventView(row, role);
        yield format === "csv"
          ? `${CSV_COLUMNS.map((c) => csvCell(view[c])).join(",")}\n`
          : `${JSON.stringify(view)}\n`;
      }
      if (rows.length < BATCH) return;
      cursor = rows.at(-1)?.seq;
    }
  }
  const stamp = ctx.now().toISOString().replace(/[:.]/g, "-");
  return {
    filename: `portcullis-audit-${stamp}.${format}`,
    contentType:
      format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    lines: lines(),
  };
}
