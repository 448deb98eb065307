// A decision load for the live benchmark: `decideToolCall` (policy, counters, audit row, commit)
// at a fixed rate against the console's database, as a gateway process does. Prints one JSON line
// when done: how many decisions it made and how far behind schedule it fell.
import { openDb } from "@/db/client";
import { newId } from "@/lib/core/ids";
import { loadPolicy } from "@/lib/core/policy";
import { type DecideCallInput, decideToolCall } from "@/lib/services/enforcement";

const [file, rateArg, secondsArg] = process.argv.slice(2);
if (!file) throw new Error("usage: load.ts <db file> <calls per second> <seconds>");
const rate = Number(rateArg ?? 1000);
const seconds = Number(secondsArg ?? 10);
const db = openDb(file);
// echo is allowed; delete_file is not listed, so the default denies it (one call in five).
const loaded = loadPolicy(`version: "1"\ndefault: deny\ntools:\n  echo: {}\n`);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const snapshot = loaded.snapshot;

const input = (i: number): DecideCallInput => ({
  snapshot,
  policyVersion: "pv_live_bench",
  server: "everything",
  upstreamId: null,
  tool: i % 5 === 0 ? "delete_file" : "echo",
  arguments: { message: `live ${i}` },
  identity: { agentId: "agt_livebench", keyId: null, label: "live-bench" },
  grants: [],
  source: "gateway",
  requestId: newId("request"),
  now: Date.now(),
});

// Paced by the clock: each millisecond tick makes the decisions that are due by then.
const start = Date.now();
const total = rate * seconds;
let made = 0;
let maxLagMs = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - start) / 1000) * rate));
    maxLagMs = Math.max(maxLagMs, ((due - made) / rate) * 1000);
    while (made < due) decideToolCall(db, input(made++));
    if (made >= total) return resolve();
    setTimeout(tick, 1);
  };
  tick();
});
const elapsed = (Date.now() - start) / 1000;
process.stdout.write(
  `${JSON.stringify({ made, seconds: elapsed, rate: made / elapsed, maxLagMs })}\n`,
);
db.$client.close();
