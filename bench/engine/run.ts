import { cpus } from "node:os";

import {
  compilePolicy,
  evaluate,
  loadPolicy,
  parsePolicy,
  type CounterReader,
  type EvaluateInput,
} from "@/lib/core/policy";
import { parseWithPositions } from "@/lib/core/policy/parse";
import { loadPlain } from "@/lib/core/policy/plain-reader";

import { realisticPolicy } from "./policies";

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

function timeBatches(batches: number, batchSize: number, fn: (i: number) => void): number[] {
  const perOp: number[] = [];
  for (let b = 0; b < batches; b += 1) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batchSize; i += 1) fn(i);
    perOp.push(Number(process.hrtime.bigint() - start) / batchSize);
  }
  return perOp.sort((a, b) => a - b);
}

const loaded = loadPolicy(realisticPolicy(20));
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const snapshot = loaded.snapshot;

const counts = new Map<string, string>();
const counters: CounterReader = (key) => counts.get(key) ?? "17";
const inputs: EvaluateInput[] = Array.from({ length: 20 }, (_, i) => ({
  server: "github",
  tool: `tool_${i}`,
  arguments: {
    target: i % 2 === 0 ? "main" : "release/1.2",
    mode: "write",
    size: 2048,
    note: "benchmark call",
  },
  agentId: "agt_benchmark",
  grants: [],
  counters,
  now: 1_736_942_400_000,
}));

let sink = 0;
const evaluateOnce = (i: number) => {
  const input = inputs[i % inputs.length];
  if (!input) return;
  const decision = evaluate(snapshot, input);
  if (decision.kind === "allow") sink += decision.reservations.length;
};
timeBatches(200, 1000, evaluateOnce);
const evaluation = timeBatches(500, 1000, evaluateOnce);

const big = realisticPolicy(200);
const coldStart = process.hrtime.bigint();
const cold = loadPolicy(big);
const coldMs = Number(process.hrtime.bigint() - coldStart) / 1e6;
if (!cold.ok) throw new Error(JSON.stringify(cold.errors));
const compile = timeBatches(50, 1, () => {
  const result = loadPolicy(big);
  if (!result.ok) throw new Error("compile failed");
});

const yamlOnly = timeBatches(50, 1, () => {
  if (!loadPlain(big)) throw new Error("the benchmark policy must take the fast path");
});
const positioned = timeBatches(50, 1, () => {
  if (!parseWithPositions(big).ok) throw new Error("parse failed");
});
const parsed = parsePolicy(big);
if (!parsed.ok) throw new Error("parse failed");
const compileOnly = timeBatches(50, 1, () => {
  compilePolicy(parsed.policy);
});

const us = (ns: number) => `${(ns / 1000).toFixed(3)} µs`;
const ms = (ns: number) => `${(ns / 1e6).toFixed(2)} ms`;
console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}\n`);
console.log("| Measurement | Median | p99 | Target |");
console.log("|---|---|---|---|");
console.log(
  `| evaluate: 20-tool policy (regex, in, lte, rolling counter + shared calendar counter) | ${us(percentile(evaluation, 0.5))} | ${us(percentile(evaluation, 0.99))} | ≤ 1 µs median |`,
);
console.log(
  `| parse + validate + compile: 200-tool policy (warm regex-safety cache) | ${ms(percentile(compile, 0.5))} | ${ms(percentile(compile, 0.99))} | ≤ 20 ms |`,
);
console.log(
  `| parse + validate + compile: 200-tool policy, first load (10 distinct regexes proved safe) | ${coldMs.toFixed(2)} ms | — | — |`,
);
console.log(
  `| — of which: YAML load alone (js-yaml, YAML 1.2 core schema, ${(big.length / 1024).toFixed(0)} KiB) | ${ms(percentile(yamlOnly, 0.5))} | ${ms(percentile(yamlOnly, 0.99))} | — |`,
);
console.log(
  `| — of which: compilePolicy alone (validated policy → snapshot) | ${ms(percentile(compileOnly, 0.5))} | ${ms(percentile(compileOnly, 0.99))} | — |`,
);
console.log(
  `| parse + validate with positions (yaml library; the path of a policy with errors or warnings) | ${ms(percentile(positioned, 0.5))} | ${ms(percentile(positioned, 0.99))} | — |`,
);
if (sink < 0) console.log(sink);
