export type AuditEventView = {
  seq: number;
  id: string;
  occurredAt: string;
  source: string;
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  action: string;
  server: string | null;
  tool: string | null;
  decision: string | null;
  cause: string | null;
  rule: string | null;
  reason: string | null;
  message: string | null;
  policyVersion: string | null;
  /** Parsed JSON as stored (per the server's audit setting), masked entirely for viewers. */
  arguments: unknown;
  argumentsMode: string | null;
  argumentsMasked: boolean;
  latencyMs: number | null;
  outcome: string | null;
  resultBytes: number | null;
  correlationId: string | null;
  targetType: string | null;
  targetId: string | null;
  detail: unknown;
  requestId: string | null;
  remoteIp: string | null;
  prevHash: string;
  hash: string;
};

export type AuditPage = {
  rows: AuditEventView[];
  nextCursor: number | null;
  headSeq: number;
  /** Outcome rows keyed by decision id, when asked for. */
  outcomes?: Record<string, AuditEventView>;
};

export type AuditEventDetail = {
  event: AuditEventView;
  /** For a decision: its tool_call.outcome row. */
  outcome: AuditEventView | null;
  /** For an outcome: the decision it belongs to. */
  decision: AuditEventView | null;
};

export type Bucket = { t: string; calls: number; denied: number };
export type Top = { name: string; count: number };

export type AuditStats = {
  windowMinutes: number;
  callsLastMinute: number;
  calls: number;
  denied: number;
  denyRate: number;
  pendingApprovals: number;
  upstreamErrors: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  series: Bucket[];
  topDeniedTools: Top[];
  topDeniedRules: Top[];
  topDeniedAgents: Top[];
};

export type ChainVerification =
  | { ok: true; rows: number; headSeq: number; headHash: string; checkedAt: string }
  | { ok: false; rows: number; brokenSeq: number; why: string; checkedAt: string };
