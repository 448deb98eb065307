import type { Db } from "@/db/client";
import { newId } from "@/lib/core/ids";
import type { ServiceContext } from "../context";
import {
  type CheckpointOutcome,
  type CheckpointSchedule,
  checkpointDue,
  writeCheckpoint,
} from "./auto-checkpoint";
import { archiveDirFor, type RetentionResult, runRetention } from "./retention";
import { type KeySource, loadSigningKey, localTrustedKeys } from "./signing-key";

export type AuditIntegritySettings = {
  keySource: KeySource;
  checkpoint: CheckpointSchedule;
  /** 0 keeps every row. */
  retentionDays: number;
  archiveDir: string;
  /**
   * Rows per step of background work (verification pages, purge slices) between yields to the
   * event loop: smaller in a process that also answers tool calls. Default 2,000.
   */
  stepRows?: number;
};

type IntegrityEnv = {
  PORTCULLIS_DB: string;
  PORTCULLIS_AUDIT_SIGNING_KEY?: string;
  PORTCULLIS_AUDIT_CHECKPOINT_ROWS: number;
  PORTCULLIS_AUDIT_CHECKPOINT_MINUTES: number;
  PORTCULLIS_AUDIT_RETENTION_DAYS: number;
  PORTCULLIS_AUDIT_ARCHIVE_DIR?: string;
};

export function integritySettings(env: IntegrityEnv): AuditIntegritySettings {
  return {
    keySource: { dbFile: env.PORTCULLIS_DB, pem: env.PORTCULLIS_AUDIT_SIGNING_KEY },
    checkpoint: {
      everyRows: env.PORTCULLIS_AUDIT_CHECKPOINT_ROWS,
      everyMinutes: env.PORTCULLIS_AUDIT_CHECKPOINT_MINUTES,
    },
    retentionDays: env.PORTCULLIS_AUDIT_RETENTION_DAYS,
    archiveDir: archiveDirFor(env.PORTCULLIS_DB, env.PORTCULLIS_AUDIT_ARCHIVE_DIR),
  };
}

export function systemContext(db: Db, job: string, now: () => Date = () => new Date()) {
  return {
    db,
    actor: { type: "system", job },
    source: "system",
    requestId: newId("request"),
    now,
  } satisfies ServiceContext;
}

/** Signs a checkpoint now (whatever the schedule says), creating the key on first use. */
export function checkpointNow(
  db: Db,
  settings: AuditIntegritySettings,
  reason: "auto" | "manual",
  now: () => Date = () => new Date(),
): Promise<CheckpointOutcome> {
  const key = loadSigningKey(settings.keySource, true);
  if (!key) return Promise.resolve({ refused: "no signing key: an in-memory database" });
  return writeCheckpoint(
    db,
    key,
    localTrustedKeys(settings.keySource),
    reason,
    now,
    settings.stepRows,
  );
}

/** Archives and removes rows past the retention age; nothing when retention is off. */
export async function retainNow(
  db: Db,
  settings: AuditIntegritySettings,
  ctx: ServiceContext & { db: Db } = systemContext(db, "audit-retention"),
  days = settings.retentionDays,
): Promise<RetentionResult | null> {
  if (days < 1) return null;
  const key = loadSigningKey(settings.keySource, true);
  if (!key) return null;
  return runRetention(ctx, {
    days,
    archiveDir: settings.archiveDir,
    key,
    trusted: localTrustedKeys(settings.keySource),
    ...(settings.stepRows ? { stepRows: settings.stepRows } : {}),
  });
}

export type MaintenanceLog = (level: "info" | "warn", message: string) => void;

/**
 * The background task that keeps the log sealed: every `everyMs` it writes a checkpoint when
 * N rows or M minutes have passed since the last one, and once an hour it applies retention.
 * It runs beside request handling (never inside a decision's transaction) and one pass at a
 * time; several processes may run it, since each write re-checks under the write lock.
 */
export function startAuditMaintenance(
  db: Db,
  settings: AuditIntegritySettings,
  log: MaintenanceLog,
  everyMs = 15_000,
  retentionEveryMs = 3_600_000,
): { stop: () => Promise<void> } {
  let running: Promise<void> | null = null;
  let lastRetention = 0;
  const pass = async () => {
    const now = new Date();
    if (checkpointDue(db, settings.checkpoint, now)) {
      const outcome = await checkpointNow(db, settings, "auto");
      if ("refused" in outcome) log("warn", `audit checkpoint refused: ${outcome.refused}`);
    }
    if (settings.retentionDays > 0 && now.getTime() - lastRetention >= retentionEveryMs) {
      lastRetention = now.getTime();
      const result = await retainNow(db, settings);
      for (const a of result?.archives ?? []) {
        log("info", `audit rows ${a.fromSeq}–${a.toSeq} archived to ${a.file}`);
      }
    }
  };
  const tick = () => {
    if (running) return;
    running = pass()
      .catch((err: unknown) => log("warn", `audit maintenance failed: ${(err as Error).message}`))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  tick();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
