import { sign, verify } from "node:crypto";

import type { Db, Tx } from "@/db/client";
import { sqliteHandle } from "@/db/client";
import type { CHECKPOINT_REASONS } from "@/db/schema";
import { canonicalJson } from "@/lib/core/canonical-json";
import { invalid } from "@/lib/core/errors";
import type { SigningKey, TrustedKeys } from "./signing-key";

export type CheckpointReason = (typeof CHECKPOINT_REASONS)[number];

/** A checkpoint as stored and exported: anyone with the public key can check it. */
export type SignedCheckpoint = {
  v: 2;
  alg: "Ed25519";
  keyId: string;
  seq: number;
  hash: string;
  at: string;
  signature: string; // base64
};

export type StoredCheckpoint = SignedCheckpoint & { reason: CheckpointReason };

/** The bytes a checkpoint signs: a fixed type tag so the signature means nothing elsewhere. */
function message(seq: number, hash: string, at: string): Buffer {
  return Buffer.from(canonicalJson({ type: "portcullis.audit.checkpoint", v: 2, seq, hash, at }));
}

export function signCheckpointWith(
  key: SigningKey,
  seq: number,
  hash: string,
  at: Date,
): SignedCheckpoint {
  const iso = at.toISOString();
  const signature = sign(null, message(seq, hash, iso), key.privateKey).toString("base64");
  return { v: 2, alg: "Ed25519", keyId: key.keyId, seq, hash, at: iso, signature };
}

/** Null when the signature holds under a trusted key; otherwise what is wrong, in words. */
export function checkpointProblem(cp: SignedCheckpoint, keys: TrustedKeys): string | null {
  const key = keys.get(cp.keyId);
  if (!key) {
    return `checkpoint at ${cp.seq} is signed by key ${cp.keyId}, which is not a trusted key`;
  }
  const ok = verify(
    null,
    message(cp.seq, cp.hash, cp.at),
    key,
    Buffer.from(cp.signature, "base64"),
  );
  return ok
    ? null
    : `checkpoint at ${cp.seq} has a bad signature (forged, or edited after signing)`;
}

const COLUMNS =
  "seq, hash, signed_at AS at, key_id AS keyId, signature, reason FROM audit_checkpoints";

function fromRow(r: Omit<StoredCheckpoint, "v" | "alg">): StoredCheckpoint {
  return { v: 2, alg: "Ed25519", ...r };
}

/** Records a checkpoint in the caller's transaction. */
export function storeCheckpoint(
  tx: Tx | Db,
  cp: SignedCheckpoint,
  reason: CheckpointReason,
  now: number,
): void {
  sqliteHandle(tx)
    .prepare(
      "INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .run(cp.seq, cp.hash, cp.at, cp.keyId, cp.signature, reason, now);
}

/** Stored checkpoints in the order they were written, optionally only those past `afterSeq`. */
export function listCheckpoints(db: Db | Tx, afterSeq = 0): StoredCheckpoint[] {
  const rows = sqliteHandle(db)
    .prepare(`SELECT ${COLUMNS} WHERE seq > ? ORDER BY id`)
    .all(afterSeq) as Omit<StoredCheckpoint, "v" | "alg">[];
  return rows.map(fromRow);
}

/** The checkpoint that reaches furthest (the latest written among equals). */
export function lastCheckpoint(db: Db | Tx): StoredCheckpoint | null {
  const row = sqliteHandle(db)
    .prepare(`SELECT ${COLUMNS} ORDER BY seq DESC, id DESC LIMIT 1`)
    .get() as Omit<StoredCheckpoint, "v" | "alg"> | undefined;
  return row ? fromRow(row) : null;
}

/** The HMAC checkpoint files `audit checkpoint` printed before checkpoints were Ed25519. */
export type LegacyCheckpoint = { seq: number; hash: string; at: string; signature: string };

export type ParsedCheckpoint =
  { kind: "ed25519"; cp: SignedCheckpoint } | { kind: "hmac"; cp: LegacyCheckpoint };

/**
 * Reads checkpoints from a file's text: one JSON object, a JSON array, or JSON Lines. Each is
 * either an Ed25519 checkpoint (`alg: "Ed25519"`) or an older HMAC one.
 */
export function parseCheckpoints(text: string, where: string): ParsedCheckpoint[] {
  const trimmed = text.trim();
  let items: unknown[];
  try {
    if (trimmed.startsWith("[")) items = JSON.parse(trimmed) as unknown[];
    else
      items = trimmed
        .split(/\r?\n/)
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as unknown);
  } catch (err) {
    throw invalid(`${where} is not JSON or JSON Lines: ${(err as Error).message}`);
  }
  if (items.length === 0) throw invalid(`${where} holds no checkpoint`);
  return items.map((item, i) => {
    const c = item as Record<string, unknown>;
    const base =
      c &&
      typeof c.seq === "number" &&
      Number.isInteger(c.seq) &&
      c.seq > 0 &&
      typeof c.hash === "string" &&
      typeof c.at === "string" &&
      typeof c.signature === "string";
    if (!base) {
      throw invalid(
        `${where}: entry ${i + 1} is not a checkpoint (needs seq, hash, at, signature)`,
      );
    }
    if (c.alg === undefined) return { kind: "hmac", cp: c as unknown as LegacyCheckpoint };
    if (c.alg !== "Ed25519" || c.v !== 2 || typeof c.keyId !== "string") {
      throw invalid(`${where}: entry ${i + 1} has an unknown format (alg ${String(c.alg)})`);
    }
    return { kind: "ed25519", cp: c as unknown as SignedCheckpoint };
  });
}
