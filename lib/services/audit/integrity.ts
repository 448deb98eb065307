import type { Db } from "@/db/client";
import { GENESIS_HASH } from "./chain";
import {
  checkpointProblem,
  listCheckpoints,
  type SignedCheckpoint,
  type StoredCheckpoint,
} from "./checkpoints";
import type { TrustedKeys } from "./signing-key";
import { archiveBoundary, type ChainStart, verifyChain } from "./verify";

export type CheckpointSummary = {
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  /** Whether the chain in the database reaches it with the same hash (false when archived). */
  inDatabase: boolean;
};

export type IntegrityReport = {
  ok: boolean;
  /** Rows checked, from the archive boundary (or the first row) to the head. */
  rows: number;
  /** The last archived row; 0 when nothing was archived. */
  boundarySeq: number;
  headSeq: number;
  headHash: string;
  brokenSeq: number | null;
  why: string | null;
  /** Checkpoints whose signatures were checked (0 when no public key was available). */
  signaturesChecked: number;
  checkpoints: number;
  lastCheckpoint: CheckpointSummary | null;
};

export type IntegrityInput = {
  /** Public keys to check checkpoint signatures with; null checks none (hashes still count). */
  keys: TrustedKeys | null;
  /** Checkpoints from outside the database (a witness's copy), checked like stored ones. */
  external?: readonly SignedCheckpoint[];
  /** (seq, hash) pairs the caller has already authenticated (older HMAC checkpoints). */
  authenticated?: readonly { seq: number; hash: string }[];
  /** Rows of the chain checked so far, of those to check (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
};

/**
 * Verifies the log as a whole: every checkpoint's signature, the archive boundary the rows
 * start from, and the chain from that boundary to the head through every checkpoint hash.
 * A rewritten-and-recomputed chain passes the hash links but not a signed checkpoint; a cut
 * tail stops before one; deleted archive rows leave a boundary that no signature backs.
 */
export function verifyIntegrity(db: Db, input: IntegrityInput): IntegrityReport {
  // One read snapshot: retention in another process may archive and purge while this reads.
  return db.$client.transaction(() => verifyInSnapshot(db, input))();
}

function verifyInSnapshot(db: Db, input: IntegrityInput): IntegrityReport {
  const stored = listCheckpoints(db);
  const all: (SignedCheckpoint | StoredCheckpoint)[] = [...stored, ...(input.external ?? [])];
  const boundary = archiveBoundary(db);
  const start: ChainStart = boundary ?? { seq: 0, hash: GENESIS_HASH };
  const base = {
    rows: 0,
    boundarySeq: start.seq,
    headSeq: start.seq,
    headHash: start.hash,
    signaturesChecked: input.keys ? all.length : 0,
    checkpoints: all.length,
    lastCheckpoint: summarize(all, null),
  };
  const fail = (brokenSeq: number, why: string): IntegrityReport => ({
    ...base,
    ok: false,
    brokenSeq,
    why,
  });

  if (input.keys) {
    for (const cp of all) {
      const problem = checkpointProblem(cp, input.keys);
      if (problem) return fail(cp.seq, problem);
    }
  }
  const expected = new Map<number, string>();
  for (const cp of [...all, ...(input.authenticated ?? [])]) {
    const seen = expected.get(cp.seq);
    if (seen !== undefined && seen !== cp.hash) {
      return fail(cp.seq, `two checkpoints disagree about row ${cp.seq}: one of them is forged`);
    }
    expected.set(cp.seq, cp.hash);
  }
  if (boundary && expected.get(boundary.seq) !== boundary.hash) {
    return fail(
      boundary.seq + 1,
      `the archive boundary at ${boundary.seq} is not backed by a signed checkpoint with its hash`,
    );
  }
  const archived = archivedRangeProblem(db, expected, boundary);
  if (archived) return fail(archived.seq, archived.why);
  const inRange = new Map([...expected].filter(([seq]) => seq > start.seq));
  const report = verifyChain(db, { start, checkpoints: inRange, onProgress: input.onProgress });
  if (!report.ok) {
    return { ...base, rows: report.rows, ok: false, brokenSeq: report.brokenSeq, why: report.why };
  }
  return {
    ...base,
    ok: true,
    rows: report.rows,
    headSeq: report.headSeq,
    headHash: report.headHash,
    brokenSeq: null,
    why: null,
    lastCheckpoint: summarize(all, start.seq),
  };
}

type ArchiveLink = { fromSeq: number; toSeq: number; startHash: string; endHash: string };

/**
 * What is wrong below the archive boundary, if anything: the archives must follow one another
 * from the first row, each ending at a row a signed checkpoint backs, and the archived rows not
 * yet removed (a purge stopped part-way) must be the newest of them, still chained to the
 * boundary. Rows cut out of the middle, or an archive record added to cover such a cut, show.
 */
function archivedRangeProblem(
  db: Db,
  expected: ReadonlyMap<number, string>,
  boundary: ChainStart | null,
): { seq: number; why: string } | null {
  if (!boundary) return null;
  const archives = db.$client
    .prepare(
      `SELECT from_seq AS fromSeq, to_seq AS toSeq, start_hash AS startHash, end_hash AS endHash
       FROM audit_archives ORDER BY to_seq`,
    )
    .all() as ArchiveLink[];
  let prev: ChainStart = { seq: 0, hash: GENESIS_HASH };
  for (const a of archives) {
    const range = `rows ${a.fromSeq}–${a.toSeq}`;
    if (a.fromSeq !== prev.seq + 1 || a.startHash !== prev.hash)
      return {
        seq: a.fromSeq,
        why: `the archive of ${range} does not start where the log before it ends (row ${prev.seq})`,
      };
    if (expected.get(a.toSeq) !== a.endHash)
      return {
        seq: a.toSeq,
        why: `the archive of ${range} ends at a row no signed checkpoint backs`,
      };
    prev = { seq: a.toSeq, hash: a.endHash };
  }
  const left = db.$client
    .prepare("SELECT min(seq) AS first, count(*) AS n FROM audit_events WHERE seq <= ?")
    .get(boundary.seq) as { first: number | null; n: number };
  const first = left.first;
  if (first === null) return null;
  if (left.n !== boundary.seq - first + 1)
    return {
      seq: first,
      why: `rows between ${first} and ${boundary.seq} are missing (deleted): only the oldest archived rows may be removed`,
    };
  const firstRow = db.$client
    .prepare("SELECT prev_hash FROM audit_events WHERE seq = ?")
    .pluck()
    .get(first) as string;
  const checkpoints = new Map([...expected].filter(([s]) => s >= first && s <= boundary.seq));
  const walk = verifyChain(db, {
    start: { seq: first - 1, hash: firstRow },
    to: boundary.seq,
    checkpoints,
  });
  if (!walk.ok) return { seq: walk.brokenSeq, why: walk.why };
  if (walk.headHash !== boundary.hash)
    return {
      seq: boundary.seq,
      why: `the archived rows left in the database do not lead to the archive boundary's hash`,
    };
  return null;
}

/** The checkpoint reaching furthest; `inDatabase` once the chain is known to pass through it. */
function summarize(
  all: readonly SignedCheckpoint[],
  verifiedFrom: number | null,
): CheckpointSummary | null {
  let last: SignedCheckpoint | null = null;
  for (const cp of all) if (!last || cp.seq > last.seq) last = cp;
  if (!last) return null;
  return {
    seq: last.seq,
    hash: last.hash,
    at: last.at,
    keyId: last.keyId,
    inDatabase: verifiedFrom !== null && last.seq > verifiedFrom,
  };
}
