import fs from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";

import { SingleBar } from "cli-progress";

import type { Db } from "@/db/client";
import { type AuditFilterInput, DECISIONS } from "@/lib/core/audit/inputs";
import { newId } from "@/lib/core/ids";
import { appendAudit, countAuditRows, pageAuditRows } from "@/lib/services/audit";
import { type ServiceContext, withTransaction } from "@/lib/services/context";
import { CliError, osUser } from "../runtime";

export function cliContext(db: Db): ServiceContext {
  return {
    db,
    actor: { type: "system", job: `cli:${osUser()}` },
    source: "cli",
    requestId: newId("request"),
    now: () => new Date(),
  };
}

const EXPORT_COLUMNS = [
  "seq",
  "id",
  "occurred_at",
  "source",
  "actor_type",
  "actor_id",
  "actor_label",
  "action",
  "server",
  "tool",
  "decision",
  "cause",
  "rule",
  "reason",
  "message",
  "policy_version",
  "arguments",
  "arguments_mode",
  "latency_ms",
  "outcome",
  "result_bytes",
  "correlation_id",
  "target_type",
  "target_id",
  "detail",
  "request_id",
  "remote_ip",
  "prev_hash",
  "hash",
] as const;

type ExportColumn = (typeof EXPORT_COLUMNS)[number];
type CamelCase<S extends string> = S extends `${infer H}_${infer T}`
  ? `${H}${Capitalize<CamelCase<T>>}`
  : S;

function camelCase<C extends ExportColumn>(column: C): CamelCase<C> {
  return column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as CamelCase<C>;
}

/** Cells starting like a formula are prefixed with a quote so spreadsheets show them as text. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (/^[=+\-@\t\r|%]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Parses an ISO time or a span back from now (`30m`, `24h`, `7d`). */
export function parseTime(text: string, flag: string): number {
  const rel = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (rel) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      rel[2] as "s" | "m" | "h" | "d"
    ];
    return Date.now() - Number(rel[1]) * unit;
  }
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new CliError(
      `${flag} must be an ISO time (2026-01-31T12:00:00Z) or a span like 24h or 7d`,
      2,
    );
  return t;
}

const isDecision = (s: string): s is (typeof DECISIONS)[number] =>
  (DECISIONS as readonly string[]).includes(s);

export type ExportOptions = {
  format: string;
  since?: string;
  until?: string;
  decision?: string;
  output?: string;
};

/** `audit export`: streams rows in sequence order (constant memory) as JSON Lines or CSV. */
export async function auditExport(db: Db, opts: ExportOptions): Promise<number> {
  if (opts.format !== "jsonl" && opts.format !== "csv")
    throw new CliError("--format must be jsonl or csv", 2);
  const filter: AuditFilterInput = {};
  if (opts.since) filter.from = parseTime(opts.since, "--since");
  // --until is exclusive; times are whole milliseconds.
  if (opts.until) filter.to = parseTime(opts.until, "--until") - 1;
  if (opts.decision) {
    if (!isDecision(opts.decision)) {
      throw new CliError("--decision must be allow, deny or approval_required", 2);
    }
    filter.decision = opts.decision;
  }
  const ctx = cliContext(db);
  const out: Writable = opts.output
    ? fs.createWriteStream(opts.output, { flags: "w", mode: 0o600 })
    : process.stdout;
  const showBar = Boolean(opts.output) && process.stderr.isTTY;
  const total = showBar ? countAuditRows(ctx, filter) : 0;
  const bar = showBar
    ? new SingleBar({ format: "exporting [{bar}] {value}/{total} rows", stream: process.stderr })
    : null;
  bar?.start(total, 0);

  const write = async (line: string) => {
    if (!out.write(line)) await once(out, "drain");
  };
  if (opts.format === "csv") await write(`${EXPORT_COLUMNS.join(",")}\n`);
  let rows = 0;
  for (const page of pageAuditRows(ctx, filter)) {
    for (const event of page) {
      const row = EXPORT_COLUMNS.map((c) => [c, event[camelCase(c)]] as const);
      await write(
        opts.format === "csv"
          ? `${row.map(([, v]) => csvCell(v)).join(",")}\n`
          : `${JSON.stringify(Object.fromEntries(row))}\n`,
      );
      rows += 1;
    }
    bar?.update(rows);
  }
  bar?.stop();
  if (opts.output) {
    out.end();
    await once(out, "finish");
  }
  try {
    withTransaction(ctx, (tx) =>
      appendAudit(
        tx,
        { ...ctx, db: tx },
        {
          action: "audit.export",
          target: { type: "audit", id: opts.output ? "file" : "stdout" },
          after: {
            rows,
            format: opts.format,
            since: opts.since ?? null,
            until: opts.until ?? null,
            decision: opts.decision ?? null,
          },
        },
      ),
    );
  } catch {
    // exporting from a read-only copy is allowed; the record is best effort
  }
  process.stderr.write(`exported ${rows} rows${opts.output ? ` to ${opts.output}` : ""}\n`);
  return 0;
}
