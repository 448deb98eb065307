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

/** A signed checkpoint as the console shows it. */
export type CheckpointView = {
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  /** The verified chain passes through it (false when it lies in an archived range). */
  inDatabase: boolean;
};

/** An archive file as its record in the database names it. */
export type ArchiveRef = { file: string; fromSeq: number; toSeq: number };

/** The recorded archives checked against the files in the archive folder. */
export type ArchiveFilesCheck = {
  recorded: number;
  /** Files present and byte for byte the ones recorded. */
  matched: number;
  /** Not in the folder: kept elsewhere, or removed. */
  missing: ArchiveRef[];
  /** Present but not the recorded file (or a record naming no archive file). */
  differ: (ArchiveRef & { why: string })[];
};

/** What a verification also proved: where it started and which signed checkpoint it reached. */
export type IntegrityFacts = {
  checkedAt: string;
  /** The last archived row (0: nothing archived, the chain starts at genesis). */
  boundarySeq: number;
  lastCheckpoint: CheckpointView | null;
  checkpoints: number;
  signaturesChecked: number;
  /** Null when nothing was archived, or the archive folder was not looked at. */
  archives: ArchiveFilesCheck | null;
};

export type ChainVerification =
  | ({ ok: true; rows: number; headSeq: number; headHash: string } & IntegrityFacts)
  | ({
      ok: false;
      rows: number;
      brokenSeq: number;
      why: string;
      /** Where the problem is: the rows in the database, or an archive file they were moved to. */
      brokenIn: "log" | "archive";
    } & IntegrityFacts);

/** The audit integrity panel: signing key, checkpoints, schedule and retention. */
export type AuditIntegrityView = {
  keyId: string | null;
  lastCheckpoint: (Omit<CheckpointView, "inDatabase"> & { reason: string }) | null;
  checkpoints: number;
  schedule: { everyRows: number; everyMinutes: number };
  retention: {
    days: number;
    archives: number;
    archivedThrough: number;
    lastArchiveAt: string | null;
  };
  firstSeq: number | null;
  headSeq: number;
};
