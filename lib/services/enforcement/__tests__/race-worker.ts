// One of several processes deciding against one database file (race.test.ts starts them):
// decides in concurrent groups through a DecisionBatcher and reports upstream failures for some
// of the admitted calls, which roll their reservations back at once.
import { createInterface } from "node:readline";

import { openDb } from "@/db/client";
import { loadPolicy } from "@/lib/core/policy";
import { DecisionBatcher, OutcomeWriter } from "@/lib/services/enforcement";

const [file, name, rounds, yaml] = process.argv.slice(2);
if (!file || !name || !rounds || !yaml)
  throw new Error("usage: race-worker <db> <name> <rounds> <policy>");
const loaded = loadPolicy(yaml);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const snapshot = loaded.snapshot;

const db = openDb(file);
const batcher = new DecisionBatcher(db);
const outcomes = new OutcomeWriter(db, 20);
const identity = { agentId: "agt_race", keyId: null, label: "race" };

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => lines.once("line", () => resolve()));
  process.stdout.write("ready\n");
  await go;
  lines.close();
  const total = Number(rounds);
  for (let round = 0; round < total; round++) {
    const verdicts = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        batcher.decide({
          snapshot,
          policyVersion: null,
          server: "srv",
          upstreamId: null,
          tool: "send",
          arguments: {},
          identity,
          grants: [],
          source: "gateway",
          requestId: `${name}-${round}-${i}`,
          now: Date.now(),
        }),
      ),
    );
    // A short pause per round keeps both processes running at once.
    await new Promise((r) => setTimeout(r, 5));
    // Upstream failures during the first half only: the second half refills every freed slot.
    if (round >= total / 2) continue;
    verdicts.forEach((v, i) => {
      if (v.kind !== "allow" || (round + i) % 2 !== 0) return;
      outcomes.record({
        decisionId: v.decisionId,
        server: "srv",
        tool: "send",
        actor: identity,
        source: "gateway",
        outcome: "jsonrpc_error",
        latencyMs: 1,
        resultBytes: null,
        at: Date.now(),
      });
    });
  }
  outcomes.close();
  db.$client.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
