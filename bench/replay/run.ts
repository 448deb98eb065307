// Replay of audited calls against a draft policy (the policy editor's "Replay recent calls"), on
// a real SQLite file: 1,000, 10,000 and 100,000 decisions of one server, interleaved with as many
// decisions of another server, arguments stored redacted (some masked). Prints the time to the
// first progress line, the total time and the number of progress steps.
// `npm run bench replay` (or `npx tsx bench/replay/run.ts`).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { MIGRATIONS_DIR, openMigratedDb } from "@/db/client";
import { newId } from "@/lib/core/ids";
import { appendEvents } from "@/lib/services/audit";
import type { AuditFields } from "@/lib/services/audit/chain";
import { withTransaction } from "@/lib/services/context";
import { auditArguments } from "@/lib/services/enforcement";
import { savePolicy } from "@/lib/services/policies";
import { startReplay } from "@/lib/services/simulation";
import { createUpstream } from "@/lib/services/upstreams";

const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");
const SIZES = [1_000, 10_000, 100_000];
const TOOLS = ["send_email", "create_issue", "search", "delete_repo"];

const POLICY = `version: "1"
default: deny
hide: [delete_repo]
tools:
  send_email:
    rules:
      - name: internal only
        conditions: [{ path: args.to, op: regex, value: "@example\\\\.com$" }]
      - rate_limit: 100/minute
  create_issue:
    rules:
      - name: small bodies
        conditions: [{ path: args.size, op: lt, value: 500 }]
  search:
    rules:
      - rate_limit: { max: 50, window: 60 }
`;
const DRAFT = POLICY.replace("value: 500", "value: 250").replace("100/minute", "20/minute");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-replay-"));
const db = openMigratedDb(path.join(dir, "bench.db"), path.join(REPO_ROOT, MIGRATIONS_DIR));
const ctx = {
  db,
  actor: { type: "system", job: "bench" } as const,
  source: "system" as const,
  requestId: "bench",
  now: () => new Date(),
};
const upstream = createUpstream(ctx, { name: "github", transport: "stdio", command: "node" });
savePolicy(ctx, { upstreamId: upstream.id, yaml: POLICY, activate: true });

function row(server: string, i: number, at: number): AuditFields {
  const tool = TOOLS[i % TOOLS.length] as string;
  const args =
    tool === "send_email"
      ? { to: i % 3 ? "ann@example.com" : "eve@evil.test", subject: `s${i}`, token: "secret" }
      : tool === "create_issue"
        ? { title: `t${i}`, size: (i * 37) % 1000 }
        : { q: `query ${i}` };
  return {
    id: newId("event"),
    occurredAt: at,
    source: "gateway",
    actorType: "agent",
    actorId: `agt_${i % 7}`,
    actorLabel: `agent-${i % 7}`,
    action: "tool_call.decide",
    server,
    tool,
    decision: i % 5 === 0 ? "deny" : "allow",
    cause: i % 5 === 0 ? "condition" : null,
    rule: null,
    arguments: auditArguments(args, "redacted"),
    argumentsMode: "redacted",
  };
}

const total = SIZES[SIZES.length - 1] as number;
const start = Date.now() - total * 20;
const seedStarted = performance.now();
for (let done = 0; done < total; done += 10_000) {
  withTransaction({ db }, (tx) => {
    const rows: AuditFields[] = [];
    for (let i = done; i < done + 10_000; i++) {
      rows.push(row("github", i, start + i * 20), row("other", i, start + i * 20 + 1));
    }
    appendEvents(tx, rows);
  });
}
console.log(
  `Seeded ${(2 * total).toLocaleString("en-US")} audit rows (two servers) in ${Math.round(performance.now() - seedStarted)} ms\n`,
);

// Replaying a draft needs the editor role (a viewer replays saved policies only).
const editor = {
  ...ctx,
  actor: { type: "user", userId: "u", label: "e", role: "editor" },
} as const;
console.log("| calls | first progress | total | progress lines | changed | not evaluated |");
console.log("|---:|---:|---:|---:|---:|---:|");
for (const limit of SIZES) {
  const t0 = performance.now();
  const it = startReplay(editor, { upstreamId: upstream.id, draft: DRAFT, limit });
  let first = 0;
  let lines = 0;
  let step = it.next();
  while (!step.done) {
    lines += 1;
    if (lines === 1) first = performance.now() - t0;
    step = it.next();
  }
  const elapsed = performance.now() - t0;
  const r = step.value;
  console.log(
    `| ${limit.toLocaleString("en-US")} | ${first.toFixed(0)} ms | ${elapsed.toFixed(0)} ms | ${lines} | ${r.changed.toLocaleString("en-US")} | ${r.unevaluated.toLocaleString("en-US")} |`,
  );
}
db.$client.close();
fs.rmSync(dir, { recursive: true, force: true });
