import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Metrics of one proxy process. Tool labels are only ever names from the upstream's inventory. */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly toolCalls = new Counter({
    name: "portcullis_tool_calls_total",
    help: "tools/call decisions by server, tool and decision",
    labelNames: ["server", "tool", "decision"] as const,
    registers: [this.registry],
  });
  readonly callLatency = new Histogram({
    name: "portcullis_tool_call_duration_seconds",
    help: "Time from receiving an allowed tools/call to answering it",
    labelNames: ["server"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly upstreamErrors = new Counter({
    name: "portcullis_upstream_errors_total",
    help: "Upstream failures by server and kind (jsonrpc_error, timeout, exit, connect)",
    labelNames: ["server", "kind"] as const,
    registers: [this.registry],
  });
  readonly storageRefusals = new Counter({
    name: "portcullis_storage_refusals_total",
    help: "Calls refused because the decision could not be recorded",
    labelNames: ["server"] as const,
    registers: [this.registry],
  });
  readonly failOpen = new Counter({
    name: "portcullis_fail_open_total",
    help: "Calls forwarded without a committed decision; must stay 0",
    registers: [this.registry],
  });
  readonly refusedMessages = new Counter({
    name: "portcullis_refused_messages_total",
    help: "Inbound messages refused before policy (malformed, batch, oversize, unauthenticated, unknown method)",
    labelNames: ["cause"] as const,
    registers: [this.registry],
  });
  readonly passedMessages = new Counter({
    name: "portcullis_passthrough_messages_total",
    help: "Messages passed through unchanged, by direction and kind",
    labelNames: ["direction", "kind"] as const,
    registers: [this.registry],
  });
  readonly sessions = new Gauge({
    name: "portcullis_sessions",
    help: "Open client sessions (each with one upstream connection)",
    registers: [this.registry],
  });

  constructor() {
    this.failOpen.inc(0);
  }
}
