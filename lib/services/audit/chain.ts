import { hash as oneShotHash } from "node:crypto";

import type { Database, Statement } from "better-sqlite3";

import type { Tx } from "@/db/client";
import type { NewAuditEvent } from "@/db/schema";
import { canonicalJson } from "@/lib/core/canonical-json";

export const GENESIS_HASH = "genesis";

/** Every column but the chain's own, in one fixed list so a missing key hashes as null. */
export const HASHED_COLUMNS = [
  "id", "occurredAt", "source", "actorType", "actorId", "actorLabel", "action", "server", "tool",
  "decision", "cause", "rule", "reason", "message", "policyVersion", "arguments", "argumentsMode",
  "latencyMs", "outcome", "resultBytes", "correlationId", "targetType", "targetId", "detail",
  "requestId", "remoteIp",
] as const;

export type AuditFields = Omit<NewAuditEvent, "seq" | "prevHash" | "hash">;
export type ChainedRow = Required<{ [K in (typeof HASHED_COLUMNS)[number]]: AuditFields[K] | null }>;

export function normalizeRow(fields: AuditFields): ChainedRow {
  const row = {} as Record<string, unknown>;
  for (const c of HASHED_COLUMNS) {
    const v = fields[c] ?? null;
    // SQLite stores text as UTF-8, where a lone surrogate (an agent can send one in a tool
    // name) reads back as U+FFFD: hashed as sent, the row would fail verification for good.
    row[c] = typeof v === "string" && !v.isWellFormed() ? v.toWellFormed() : v;
  }
  return row as ChainedRow;
}

const SORTED_COLUMNS = [...HASHED_COLUMNS].sort();
const KEY_TEXTS = SORTED_COLUMNS.map((c) => `${JSON.stringify(c)}:`);

/** canonicalJson(row), with the fixed keys' order and quoting worked out once, not per row. */
export function rowJson(row: ChainedRow): string {
  let out = "{";
  for (let i = 0; i < SORTED_COLUMNS.length; i++) {
    const value = row[SORTED_COLUMNS[i] as keyof ChainedRow];
    if (value === undefined) continue;
    out += `${out.length > 1 ? "," : ""}${KEY_TEXTS[i]}${canonicalJson(value)}`;
  }
  return `${out}}`;
}

export function rowHash(prevHash: string, seq: number, row: ChainedRow): string {
  return oneShotHash("sha256", `${prevHash}\n${seq}\n${rowJson(row)}`, "hex");
}

const statements = new WeakMap<object, { head: Statement; insert: Statement }>();

function prepared(tx: Tx) {
  const client = (tx as unknown as { session: { client: Database } }).session.client;
  let s = statements.get(client);
  if (!s) {
    const cols = ["seq", ...HASHED_COLUMNS, "prevHash", "hash"];
    const sqlCols = cols.map((c) => c.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`));
    s = {
      head: client.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"),
      insert: client.prepare(
        `INSERT INTO audit_events (${sqlCols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
      ),
    };
    statements.set(client, s);
  }
  return s;
}

/**
 * Appends rows to the chain. The caller must hold an IMMEDIATE transaction (so nobody else
 * appends between the head read and the insert); if this throws, the caller's transaction —
 * and the act it records — rolls back.
 */
export function appendChained(tx: Tx, rows: readonly AuditFields[]): { seq: number; hash: string }[] {
  const { head, insert } = prepared(tx);
  const last = head.get() as { seq: number; hash: string } | undefined;
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  const out: { seq: number; hash: string }[] = [];
  for (const fields of rows) {
    const row = normalizeRow(fields);
    seq += 1;
    const hash = rowHash(prevHash, seq, row);
    // Positional: no spread object per row, no lookup of 29 parameters by name.
    const values: unknown[] = [seq];
    for (const c of HASHED_COLUMNS) values.push(row[c]);
    values.push(prevHash, hash);
    insert.run(values);
    out.push({ seq, hash });
    prevHash = hash;
  }
  return out;
}
