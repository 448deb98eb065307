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
  const values = rowValues(fields);
  const row = {} as Record<string, unknown>;
  for (let i = 0; i < HASHED_COLUMNS.length; i++) row[HASHED_COLUMNS[i] as string] = values[i];
  return row as ChainedRow;
}

/** A row's values in HASHED_COLUMNS order: what is hashed and inserted, without a row object. */
function rowValues(fields: AuditFields): unknown[] {
  const values = new Array<unknown>(HASHED_COLUMNS.length);
  for (let i = 0; i < HASHED_COLUMNS.length; i++) {
    const v = fields[HASHED_COLUMNS[i] as keyof AuditFields] ?? null;
    // SQLite stores text as UTF-8, where a lone surrogate (an agent can send one in a tool
    // name) reads back as U+FFFD: hashed as sent, the row would fail verification for good.
    values[i] = typeof v === "string" && !v.isWellFormed() ? v.toWellFormed() : v;
  }
  return values;
}

const SORTED_COLUMNS = [...HASHED_COLUMNS].sort();
const KEY_TEXTS = SORTED_COLUMNS.map((c) => `${JSON.stringify(c)}:`);
/** For each sorted column, its place in HASHED_COLUMNS. */
const SORTED_PLACES = SORTED_COLUMNS.map((c) => HASHED_COLUMNS.indexOf(c));

/** canonicalJson of the row whose value for HASHED_COLUMNS[i] is values[i]. */
function valuesJson(values: readonly unknown[]): string {
  let out = "{";
  for (let i = 0; i < SORTED_PLACES.length; i++) {
    const value = values[SORTED_PLACES[i] as number];
    if (value === undefined) continue;
    // Text and null, most of a row, without canonicalJson's walk (the same output for them).
    const text =
      value === null ? "null" : typeof value === "string" ? JSON.stringify(value) : canonicalJson(value);
    out += `${out.length > 1 ? "," : ""}${KEY_TEXTS[i]}${text}`;
  }
  return `${out}}`;
}

/** canonicalJson(row), with the fixed keys' order and quoting worked out once, not per row. */
export function rowJson(row: ChainedRow): string {
  return valuesJson(HASHED_COLUMNS.map((c) => row[c]));
}

function valuesHash(prevHash: string, seq: number, values: readonly unknown[]): string {
  return oneShotHash("sha256", `${prevHash}\n${seq}\n${valuesJson(values)}`, "hex");
}

export function rowHash(prevHash: string, seq: number, row: ChainedRow): string {
  return valuesHash(prevHash, seq, HASHED_COLUMNS.map((c) => row[c]));
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
    const values = rowValues(fields);
    seq += 1;
    const hash = valuesHash(prevHash, seq, values);
    // Positional: no row object, no lookup of 29 parameters by name.
    insert.run(seq, values, prevHash, hash);
    out.push({ seq, hash });
    prevHash = hash;
  }
  return out;
}
