import type { Database } from "better-sqlite3";

import type { AuditFilter } from "@/lib/core/audit/inputs";
import { DECISION_ACTIONS } from "./filters";
import { SEARCH_COLUMNS, SEARCH_SELECT, SEARCH_TOKENIZER } from "./indexer";

/** An event id or a correlation id: looked up exactly, not searched as text. */
export const EVENT_ID = /^evt_[a-z0-9]{8,40}$/;

// The tokenizer keeps letters and digits; a value without any yields no token to look up.
const HAS_TOKEN = /[\p{L}\p{N}]/u;

/** An FTS5 string: the tokenizer splits it exactly as it split the stored column. */
const quoted = (text: string) => `"${text.replace(/"/g, '""')}"`;

// Every searched column but the tool arguments, in FTS5's column-filter syntax.
const WITHOUT_ARGUMENTS = `{${SEARCH_COLUMNS.split(", ")
  .filter((c) => c !== "arguments")
  .join(" ")}}`;

/**
 * The free-text part of a search: the words of `q` as a phrase, the last one also matching as
 * a prefix ("sandb" finds "sandbox-paths"). Null when `q` has no word to look up. Without
 * `withArguments` the arguments are not searched: a viewer, who sees them masked, could
 * otherwise spell a value out one prefix at a time.
 */
export function textQuery(q: string, withArguments: boolean): string | null {
  if (!HAS_TOKEN.test(q)) return null;
  return withArguments ? `${quoted(q)} *` : `${WITHOUT_ARGUMENTS} : (${quoted(q)} *)`;
}

/**
 * An FTS5 expression every row matching the filter's equality conditions also matches (the
 * stored value holds the same tokens), or null when no condition can be looked up. The caller
 * still applies the exact conditions: the index only narrows the rows to read.
 */
export function narrowingQuery(f: AuditFilter, withArguments: boolean): string | null {
  const parts: string[] = [];
  const column = (name: string, value: string | undefined) => {
    if (value !== undefined && HAS_TOKEN.test(value)) parts.push(`${name} : ${quoted(value)}`);
  };
  if (f.view === "decisions")
    parts.push(`action : (${DECISION_ACTIONS.map((a) => quoted(a)).join(" OR ")})`);
  if (f.view === "denied") parts.push(`decision : "deny"`);
  column("server", f.server);
  column("actor", f.agent);
  column("tool", f.tool);
  column("decision", f.decision);
  column("rule", f.rule);
  column("action", f.action);
  const text = f.q !== undefined && !EVENT_ID.test(f.q) ? textQuery(f.q, withArguments) : null;
  if (text !== null) parts.push(text);
  return parts.length ? parts.map((p) => `(${p})`).join(" AND ") : null;
}

/**
 * Loads the rows after the watermark into a temporary full-text table of this connection (the
 * same tokenizer and text as the index), so a search over them matches exactly as the index
 * does. Writing to `temp` takes no lock on the shared database. Returns the table's name.
 */
export function loadTailSearch(client: Database, afterSeq: number): string {
  client.exec(
    `CREATE VIRTUAL TABLE IF NOT EXISTS temp.audit_search_tail USING fts5(${SEARCH_COLUMNS}, ${SEARCH_TOKENIZER})`,
  );
  client.prepare("DELETE FROM temp.audit_search_tail").run();
  client
    .prepare(
      `INSERT INTO temp.audit_search_tail (rowid, ${SEARCH_COLUMNS}) ${SEARCH_SELECT} WHERE seq > ?`,
    )
    .run(afterSeq);
  return "audit_search_tail";
}
