import os from "node:os";

import type { ZodError } from "zod";

import type { Db } from "@/db/client";
import { openMigratedDb } from "@/lib/services/database";
import { createInstance, deleteInstance, heartbeatInstance } from "@/lib/services/instances";
import { log } from "./log";
import { migrationsDir } from "./paths";

export function openDatabase(file: string): Db {
  try {
    return openMigratedDb(file, migrationsDir());
  } catch (err) {
    throw new CliError(`cannot open the database ${file}: ${(err as Error).message}`);
  }
}

/** An error whose message is meant for the operator as-is; `exitCode` is the process status. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * A service's input errors as one usage error (exit 2). `flags` maps input fields to the
 * options that set them. Issue messages name limits and formats, never the values given.
 */
export function inputError(err: ZodError, flags: Record<string, string> = {}): CliError {
  const lines = err.issues.map((i) => {
    const name = flags[String(i.path[0])] ?? i.path.join(".");
    return name ? `${name}: ${i.message}` : i.message;
  });
  return new CliError(
    lines.length === 1 ? String(lines[0]) : `invalid input:\n  ${lines.join("\n  ")}`,
    2,
  );
}

export const HEARTBEAT_MS = 5_000;
export { INSTANCE_STALE_MS } from "@/lib/services/instances";

/**
 * Registers this process in `instances` and refreshes its heartbeat; `stop()` removes the row.
 * Failures are logged, never fatal: the row is informational.
 */
export function registerInstance(
  db: Db,
  info: { kind: "gateway" | "stdio"; server: string | null; address: string | null },
): { id: string | null; stop: () => void } {
  let id: string | null = null;
  try {
    id = createInstance(db, { ...info, pid: process.pid, host: os.hostname() }).id;
  } catch (err) {
    log.warn(`could not register this instance: ${(err as Error).message}`);
  }
  const timer = setInterval(() => {
    try {
      if (id) heartbeatInstance(db, id);
    } catch (err) {
      log.debug(`heartbeat failed: ${(err as Error).message}`);
    }
  }, HEARTBEAT_MS);
  timer.unref();
  return {
    id,
    stop: () => {
      clearInterval(timer);
      try {
        if (id) deleteInstance(db, id);
      } catch (err) {
        log.debug(`could not remove the instance row: ${(err as Error).message}`);
      }
    },
  };
}

export function osUser(): string {
  try {
    return os.userInfo().username || "operator";
  } catch {
    return process.env.USER || "operator";
  }
}
