import fs from "node:fs";
import path from "node:path";

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { openMigratedDb } from "@/db/client";
import type { AuditEvent } from "@/db/schema";
import { appendAudit } from "@/lib/services/audit";
import { normalizeRow, rowHash } from "@/lib/services/audit/chain";
import { withTransaction } from "@/lib/services/context";
import { MIGRATIONS, testContext } from "@/lib/testing";
import { auditRows, must, tempDatabase } from "@/lib/testing/proxy";
import { reportFigures, scale } from "@/lib/testing/reliability";
import { cliInProcess } from "./helpers";

/*
 * Tampering through raw SQL, the way someone holding the database file could: the append-only
 * triggers dropped, then a row edited, deleted, inserted, reordered, the tail truncated, or the
 * chain recomputed after an edit. `portcullis audit verify` must fail and name what was done.
 */

const ROWS = scale(60, 20_000);
const RUNS_PER_KIND = scale(2, 25);
const KEY = "reliability-checkpoint-key-0123456789abcdef";

type Raw = ReturnType<typeof openMigratedDb>["$client"];
type Case = {
  /** What was done, at 1-based position `p` (2 ≤ p < ROWS). */
  tamper: (c: Raw, p: number) => void;
  /** What `audit verify` must say. */
  expected: (p: number) => RegExp;
  /** Only a signed checkpoint can tell (the rest of the chain is self-consistent). */
  needsCheckpoint?: boolean;
};

let t: ReturnType<typeof tempDatabase>;
let checkpointFile: string;
let copies = 0;

beforeAll(async () => {
  t = tempDatabase();
  const ctx = testContext(t.db);
  for (let i = 0; i < ROWS; i += 500) {
    withTransaction(ctx, (tx) => {
      for (let j = i; j < Math.min(ROWS, i + 500); j++)
        appendAudit(tx, ctx, {
          action: "policy.update",
          target: { type: "policy", id: `pol_${j}` },
          after: { n: j },
        });
    });
  }
  t.db.$client.pragma("wal_checkpoint(TRUNCATE)");
  const cp = await cliInProcess(["audit", "checkpoint"], {
    PORTCULLIS_DB: t.file,
    PORTCULLIS_CHECKPOINT_KEY: KEY,
  });
  expect(cp.stderr + cp.stdout).toMatch(/"signature"/);
  checkpointFile = path.join(t.dir, "checkpoint.json");
  fs.writeFileSync(checkpointFile, cp.stdout);
  t.db.$client.pragma("wal_checkpoint(TRUNCATE)");
}, 120_000);

afterAll(() => t?.cleanup());

function dropTriggers(c: Raw): void {
  const triggers = c
    .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")
    .all() as { name: string }[];
  for (const { name } of triggers) c.exec(`DROP TRIGGER "${name}"`);
}

const rowAt = (c: Raw, seq: number): AuditEvent => {
  const raw = must(c.prepare("SELECT * FROM audit_events WHERE seq = ?").get(seq)) as Record<
    string,
    unknown
  >;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw))
    out[k.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase())] = v;
  return out as AuditEvent;
};

/** Moves rows with seq ≥ from by `by`, through negative numbers so the key never collides. */
function shift(c: Raw, from: number, by: number): void {
  c.prepare("UPDATE audit_events SET seq = -seq WHERE seq >= ?").run(from);
  c.prepare("UPDATE audit_events SET seq = -seq + ? WHERE seq < 0").run(by);
}

/** Recomputes every hash from `from` on, as an attacker who knows the algorithm would. */
function recompute(c: Raw, from: number): void {
  let prev = from > 1 ? rowAt(c, from - 1).hash : "genesis";
  const last = (c.prepare("SELECT max(seq) AS m FROM audit_events").get() as { m: number }).m;
  const set = c.prepare("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?");
  for (let s = from; s <= last; s++) {
    const hash = rowHash(prev, s, normalizeRow(rowAt(c, s)));
    set.run(prev, hash, s);
    prev = hash;
  }
}

const CASES: Record<string, Case> = {
  "edit a row": {
    tamper: (c, p) =>
      c.prepare("UPDATE audit_events SET actor_label = 'mallory' WHERE seq = ?").run(p),
    expected: (p) => new RegExp(`row ${p} was edited`),
  },
  "delete a row": {
    tamper: (c, p) => c.prepare("DELETE FROM audit_events WHERE seq = ?").run(p),
    expected: (p) => new RegExp(`row ${p} is missing \\(deleted\\)`),
  },
  "delete a row and renumber the rest": {
    tamper: (c, p) => {
      c.prepare("DELETE FROM audit_events WHERE seq = ?").run(p);
      shift(c, p + 1, -1);
    },
    expected: (p) =>
      new RegExp(`a row was deleted before row ${p} and the rows after it renumbered`),
  },
  "insert a forged row with a correct hash": {
    tamper: (c, p) => {
      shift(c, p, 1);
      const before = rowAt(c, p - 1);
      const forged = { ...before, id: `evt_forged${p}`, actorLabel: "mallory", seq: p };
      const hash = rowHash(before.hash, p, normalizeRow(forged));
      const cols = Object.keys(before);
      c.prepare(
        `INSERT INTO audit_events (${cols.map((k) => k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`)).join(", ")})
         VALUES (${cols.map((k) => `@${k}`).join(", ")})`,
      ).run({ ...forged, prevHash: before.hash, hash });
    },
    expected: (p) => new RegExp(`row ${p} was inserted: row ${p + 1} links to row ${p - 1}`),
  },
  "swap two rows": {
    tamper: (c, p) => {
      c.prepare("UPDATE audit_events SET seq = -1 WHERE seq = ?").run(p);
      c.prepare("UPDATE audit_events SET seq = ? WHERE seq = ?").run(p, p + 1);
      c.prepare("UPDATE audit_events SET seq = ? WHERE seq = -1").run(p + 1);
    },
    expected: (p) =>
      new RegExp(`rows were reordered: row ${p} holds the record written as row ${p + 1}`),
  },
  "edit a row and recompute its own hash": {
    tamper: (c, p) => {
      const row = { ...rowAt(c, p), reason: "nothing to see" };
      c.prepare("UPDATE audit_events SET reason = ?, hash = ? WHERE seq = ?").run(
        row.reason,
        rowHash(row.prevHash, p, normalizeRow(row)),
        p,
      );
    },
    expected: (p) =>
      new RegExp(
        `row ${p + 1} does not link to row ${p}: row ${p} was rewritten and its hash recomputed`,
      ),
  },
  "truncate the tail": {
    tamper: (c, p) => c.prepare("DELETE FROM audit_events WHERE seq >= ?").run(p),
    expected: (p) =>
      new RegExp(`log ends at ${p - 1}, before checkpoint ${ROWS}: rows were truncated`),
    needsCheckpoint: true,
  },
  "edit a row and recompute the whole chain after it": {
    tamper: (c, p) => {
      c.prepare("UPDATE audit_events SET actor_label = 'mallory' WHERE seq = ?").run(p);
      recompute(c, p);
    },
    expected: () =>
      new RegExp(
        `history differs from the signed checkpoint at ${ROWS} \\(rows up to it were rewritten and the chain recomputed\\)`,
      ),
    needsCheckpoint: true,
  },
};

async function verifyTampered(kind: string, p: number): Promise<{ plain: string; signed: string }> {
  const file = path.join(t.dir, `copy-${copies++}.db`);
  t.db.$client.pragma("wal_checkpoint(TRUNCATE)");
  fs.copyFileSync(t.file, file);
  const copy = openMigratedDb(file, MIGRATIONS);
  try {
    dropTriggers(copy.$client);
    must(CASES[kind]).tamper(copy.$client, p);
    // The checkpoints stored in the database would name these too; the attacker erases them,
    // so only the copy a witness holds is left to tell.
    if (CASES[kind]?.needsCheckpoint) {
      copy.$client.exec("DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_checkpoints;");
    }
  } finally {
    copy.$client.close();
  }
  const env = { PORTCULLIS_DB: file, PORTCULLIS_CHECKPOINT_KEY: KEY };
  // Signed first: a plain verify that passes records itself, adding a row.
  const signed = await cliInProcess(["audit", "verify", "--checkpoint", checkpointFile], env);
  const plain = await cliInProcess(["audit", "verify"], env);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  expect(signed.code).toBe(1);
  return { plain: `${plain.code} ${plain.stdout}`, signed: signed.stdout };
}

describe("audit verify names each kind of tampering done through raw SQL", () => {
  it("an untouched copy verifies, with and without the checkpoint", async () => {
    const env = { PORTCULLIS_DB: t.file, PORTCULLIS_CHECKPOINT_KEY: KEY };
    expect((await cliInProcess(["audit", "verify"], env)).stdout).toMatch(
      new RegExp(`chain intact: ${ROWS} rows`),
    );
    expect(
      (await cliInProcess(["audit", "verify", "--checkpoint", checkpointFile], env)).stdout,
    ).toMatch(/consistent with checkpoint/);
    expect(auditRows(t.db).at(-1)?.action).toBe("audit.verify");
  });

  let tried = 0;
  it.each(Object.keys(CASES))(
    "%s",
    async (kind) => {
      const c = must(CASES[kind]);
      // The last position needs a row after it for insertion, swaps and renumbering.
      const lastPosition = ROWS - 1;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 2, max: lastPosition }), async (p) => {
          const { plain, signed } = await verifyTampered(kind, p);
          expect(signed).toMatch(c.expected(p));
          if (c.needsCheckpoint) expect(plain).toMatch(/^0 chain intact/);
          else expect(plain).toMatch(c.expected(p));
          tried += 1;
        }),
        { numRuns: RUNS_PER_KIND },
      );
    },
    scale(30_000, 1_200_000),
  );

  afterAll(() => {
    reportFigures("tampering", {
      rowsInLog: ROWS,
      kinds: Object.keys(CASES).length,
      tamperedCopies: tried,
    });
  });
});
