import fs from "node:fs";

import { SingleBar } from "cli-progress";

import type { Db } from "@/db/client";
import { AppError } from "@/lib/core/errors";
import { appendAudit, checkpointIsAuthentic } from "@/lib/services/audit";
import { verifyArchive } from "@/lib/services/audit/archive-file";
import {
  listCheckpoints,
  parseCheckpoints,
  type SignedCheckpoint,
} from "@/lib/services/audit/checkpoints";
import { archiveFilesProblem, checkArchiveFiles } from "@/lib/services/audit/archive-files";
import { verifyIntegrity } from "@/lib/services/audit/integrity";
import { walkBeforeVerifying } from "@/lib/services/audit/verify-progress";
import { checkpointsJsonl } from "@/lib/services/audit/integrity-status";
import {
  type AuditIntegritySettings,
  checkpointNow,
  retainNow,
} from "@/lib/services/audit/maintenance";
import {
  localTrustedKeys,
  parsePublicKeys,
  rotateSigningKey,
  trustedKeysPem,
  type TrustedKeys,
} from "@/lib/services/audit/signing-key";
import { withTransaction } from "@/lib/services/context";
import { CliError } from "../runtime";
import { cliContext } from "./audit";

export type VerifyOptions = {
  checkpoint?: string;
  checkpoints?: string;
  publicKey?: string;
  archive?: string[];
};

const readText = (file: string, what: string) => {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as Error).message}`, 2);
  }
};

/** AppErrors from parsing files are the user's input problems: exit 2 with the message. */
function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AppError) throw new CliError(err.message, 2);
    throw err;
  }
}

/**
 * The public keys to trust: the given file (an outside verifier: no private key needed), or
 * this host's key and its retired keys. Null when there are none.
 */
function trustedKeys(settings: AuditIntegritySettings, publicKey?: string): TrustedKeys | null {
  if (publicKey) return usage(() => parsePublicKeys(readText(publicKey, "public key"), publicKey));
  const keys = usage(() => localTrustedKeys(settings.keySource));
  return keys.size > 0 ? keys : null;
}

/** Checkpoint files: Ed25519 ones are checked with the public keys, older HMAC ones here. */
function readCheckpointFiles(files: string[], hmacKey: string | undefined) {
  const external: SignedCheckpoint[] = [];
  const authenticated: { seq: number; hash: string }[] = [];
  for (const file of files) {
    for (const parsed of usage(() => parseCheckpoints(readText(file, "checkpoints"), file))) {
      if (parsed.kind === "ed25519") {
        external.push(parsed.cp);
        continue;
      }
      if (!hmacKey) {
        throw new CliError(
          `${file} holds an HMAC checkpoint: PORTCULLIS_CHECKPOINT_KEY must be set to check it`,
          2,
        );
      }
      if (!checkpointIsAuthentic(parsed.cp, hmacKey)) {
        throw new CliError(
          `checkpoint ${file} has a bad signature (wrong key, or it was edited)`,
          1,
        );
      }
      authenticated.push(parsed.cp);
    }
  }
  return { external, authenticated };
}

async function verifyArchives(files: string[], keys: TrustedKeys | null, db: Db): Promise<number> {
  let code = 0;
  const ends = new Map<number, string>();
  for (const file of files) {
    const report = await verifyArchive(file, keys);
    if (!report.ok) {
      process.stdout.write(
        `archive ${file} broken${report.seq ? ` at row ${report.seq}` : ""}: ${report.why}\n`,
      );
      code = 1;
      continue;
    }
    const { header, end } = report;
    ends.set(end.seq, end.hash);
    const from = header.start.seq;
    const linked = from === 0 || ends.get(from) === header.start.hash;
    process.stdout.write(
      `archive ${file} intact: rows ${header.fromSeq}–${header.toSeq}, signed checkpoint at ${end.seq}` +
        `${keys ? "" : " (signature not checked: no public key)"}` +
        `${from > 0 && !linked ? `; starts from row ${from} (pass the archive that ends there to link them)` : ""}\n`,
    );
  }
  const boundary = listCheckpoints(db).find((cp) => ends.get(cp.seq) === cp.hash);
  if (boundary) process.stdout.write(`the database continues from row ${boundary.seq}\n`);
  return code;
}

/**
 * `audit verify`: the chain from the archive boundary to the head, every checkpoint (stored,
 * and from --checkpoints files) by its signature and hash, and any --archive files. Exit 0 when
 * all holds, 1 naming the first problem.
 */
export async function auditVerify(
  db: Db,
  settings: AuditIntegritySettings,
  opts: VerifyOptions,
  hmacKey: string | undefined,
): Promise<number> {
  const keys = trustedKeys(settings, opts.publicKey);
  const files = [opts.checkpoint, opts.checkpoints].filter((f): f is string => Boolean(f));
  const { external, authenticated } = readCheckpointFiles(files, hmacKey);
  if (external.length > 0 && !keys) {
    throw new CliError(
      "checking Ed25519 checkpoints needs a public key: pass --public-key FILE",
      2,
    );
  }
  if (opts.archive?.length) return verifyArchives(opts.archive, keys, db);

  // Progress on stderr when someone watches; stdout keeps only the verdict.
  const bar = process.stderr.isTTY
    ? new SingleBar({
        format: "verifying [{bar}] {value}/{total} rows",
        stream: process.stderr,
        clearOnComplete: true,
      })
    : null;
  let started = false;
  const onProgress = (done: number, total: number) => {
    if (!bar) return;
    if (!started) bar.start(total, 0);
    started = true;
    bar.update(done);
  };
  await walkBeforeVerifying(db, onProgress);
  const report = verifyIntegrity(db, { keys, external, authenticated });
  if (started) bar?.stop();
  if (!report.ok) {
    process.stdout.write(
      `chain broken at row ${report.brokenSeq}: ${report.why} (${report.rows} rows verified before it)\n`,
    );
    return 1;
  }
  if (report.boundarySeq > 0 && report.signaturesChecked === 0) {
    process.stdout.write(
      `continuity not proven: rows up to ${report.boundarySeq} were archived, and without a public key the checkpoint at the boundary cannot be checked (pass --public-key FILE)\n`,
    );
    return 1;
  }
  const archives = report.boundarySeq > 0 ? await checkArchiveFiles(db, settings.archiveDir) : null;
  const filesProblem = archiveFilesProblem(archives);
  if (filesProblem) {
    process.stdout.write(`archive broken: ${filesProblem}\n`);
    return 1;
  }
  const last = report.lastCheckpoint;
  const fromFile = [...external, ...authenticated].reduce((m, c) => Math.max(m, c.seq), 0);
  const notes = [
    report.boundarySeq > 0 ? `from the archive boundary at ${report.boundarySeq}` : null,
    fromFile > 0 ? `consistent with checkpoint ${fromFile}` : null,
    last && last.inDatabase ? `last signed checkpoint ${last.seq} (${last.at})` : null,
  ].filter(Boolean);
  process.stdout.write(
    report.rows === 0 && report.boundarySeq === 0
      ? "nothing to verify: the audit log is empty\n"
      : `chain intact: ${report.rows} rows${notes.length ? `, ${notes.join(", ")}` : ""}\n`,
  );
  if (archives) {
    const where = settings.archiveDir;
    if (archives.matched > 0)
      process.stdout.write(
        `archives: ${archives.matched} of ${archives.recorded} files in ${where} match their records\n`,
      );
    for (const a of archives.missing)
      process.stdout.write(
        `note: the archive of rows ${a.fromSeq}–${a.toSeq} (${a.file}) is not in ${where}; those rows are proven only by that file: verify your copy with --archive FILE\n`,
      );
  }
  if (report.checkpoints > 0 && report.signaturesChecked === 0) {
    process.stdout.write(
      `note: ${report.checkpoints} checkpoint signatures not checked (no public key; pass --public-key FILE)\n`,
    );
  }
  try {
    const ctx = cliContext(db);
    withTransaction(ctx, (tx) =>
      appendAudit(tx, ctx, {
        action: "audit.verify",
        target: { type: "audit", id: String(report.headSeq) },
        after: {
          rows: report.rows,
          headHash: report.headHash,
          boundary: report.boundarySeq,
          checkpoint: fromFile || (last?.seq ?? null),
          signaturesChecked: report.signaturesChecked,
          archives: archives && {
            recorded: archives.recorded,
            matched: archives.matched,
            missing: archives.missing.map((a) => a.file),
          },
        },
      }),
    );
  } catch {
    // Read-only copies of the database can be verified too; the record is best effort.
  }
  return 0;
}

/** `audit checkpoint`: verifies the rows since the last checkpoint, signs the head, prints it. */
export async function auditCheckpoint(db: Db, settings: AuditIntegritySettings): Promise<number> {
  const outcome = await checkpointNow(db, settings, "manual");
  if ("refused" in outcome) {
    process.stderr.write(`refusing to sign: ${outcome.refused}\n`);
    return 1;
  }
  if ("skipped" in outcome) {
    if (outcome.skipped === "empty") {
      process.stderr.write("nothing to sign: the audit log is empty\n");
      return 1;
    }
    process.stdout.write(checkpointsJsonl(cliContext(db)).trim().split("\n").at(-1) + "\n");
    return 0;
  }
  process.stdout.write(`${JSON.stringify(outcome.written)}\n`);
  return 0;
}

/** `audit checkpoints`: every stored checkpoint as JSON Lines, for an outside witness. */
export function auditCheckpoints(db: Db, opts: { since?: string; output?: string }): number {
  const since = opts.since ? Number(opts.since) : 0;
  if (!Number.isInteger(since) || since < 0) {
    throw new CliError("--since must be a row number (0 or more)", 2);
  }
  const text = checkpointsJsonl(cliContext(db), since);
  if (opts.output) fs.writeFileSync(opts.output, text, { mode: 0o644 });
  else process.stdout.write(text);
  return 0;
}

/** `audit public-key`: the PEM public keys a verifier needs (current first, then retired). */
export function auditPublicKey(settings: AuditIntegritySettings): number {
  const pem = usage(() => trustedKeysPem(settings.keySource));
  if (!pem) {
    throw new CliError("no signing key yet: `portcullis audit checkpoint` creates one", 1);
  }
  process.stdout.write(pem);
  return 0;
}

/** `audit rotate-key`: seals the head with the old key, then signs it again with the new one. */
export async function auditRotateKey(db: Db, settings: AuditIntegritySettings): Promise<number> {
  await checkpointNow(db, settings, "manual");
  const { retired, current } = usage(() => rotateSigningKey(settings.keySource));
  const ctx = cliContext(db);
  withTransaction(ctx, (tx) =>
    appendAudit(tx, ctx, {
      action: "audit.key_rotate",
      target: { type: "audit_key", id: current },
      before: { keyId: retired },
      after: { keyId: current },
    }),
  );
  await checkpointNow(db, settings, "manual");
  process.stdout.write(
    `signing key ${retired} retired; checkpoints are now signed by ${current}\n`,
  );
  return 0;
}

/** `audit retain`: archives and removes rows older than the retention age. */
export async function auditRetain(
  db: Db,
  settings: AuditIntegritySettings,
  opts: { days?: string },
): Promise<number> {
  const days = opts.days ? Number(opts.days) : settings.retentionDays;
  if (!Number.isInteger(days) || days < 1) {
    throw new CliError(
      "retention needs a number of days: --days N, or PORTCULLIS_AUDIT_RETENTION_DAYS",
      2,
    );
  }
  const result = await retainNow(db, settings, { ...cliContext(db), db }, days);
  const archives = result?.archives ?? [];
  for (const a of archives) {
    process.stdout.write(
      `archived rows ${a.fromSeq}–${a.toSeq} (${a.rows} rows, ${a.bytes} bytes) to ${a.file}\n`,
    );
  }
  if (archives.length === 0) process.stdout.write(`no rows older than ${days} days\n`);
  return 0;
}
