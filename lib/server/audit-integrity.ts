import "server-only";

import { getConsoleEnv } from "@/lib/env";
import {
  type AuditIntegritySettings,
  integritySettings,
  startAuditMaintenance,
} from "@/lib/services/audit/maintenance";
import type { Db } from "@/db/client";
import { log } from "./log";

const cache = globalThis as typeof globalThis & {
  __portcullisIntegrity?: AuditIntegritySettings;
  __portcullisMaintenance?: { stop: () => Promise<void> };
};

/** Checkpoint key, schedule and retention, from the console's environment. */
export function auditIntegrity(): AuditIntegritySettings {
  cache.__portcullisIntegrity ??= integritySettings(getConsoleEnv());
  return cache.__portcullisIntegrity;
}

/**
 * The console writes scheduled checkpoints and applies retention in the background, so neither
 * ever runs inside a gateway's per-call transaction. Once per process (dev reloads included).
 */
export function startConsoleAuditMaintenance(db: Db): void {
  if (cache.__portcullisMaintenance || db.$client.memory) return;
  cache.__portcullisMaintenance = startAuditMaintenance(db, auditIntegrity(), (level, message) =>
    log[level]({}, message),
  );
}
