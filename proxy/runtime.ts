import os from "node:os";

import { eq, lt } from "drizzle-orm";

import { type Db, openMigratedDb } from "@/db/client";
import { instances } from "@/db/schema";
import { newId } from "@/lib/core/ids";
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

export const HEARTBEAT_MS = 5_000;
export const INSTANCE_STALE_MS = 30_000;

/**
 * Registers this process in `instances` and refreshes its heartbeat; `stop()` removes the row.
 * Heartbeat failures are logged, never fatal: the row is informational.
 */
export function registerInstance(
  db: Db,
  info: { kind: "gateway" | "stdio"; server: string | null; address: string | null },
): { id: string; stop: () => void } {
  const id = newId("instance");
  const now = new Date();
  try {
    db.insert(instances)
      .values({
        id,
        kind: info.kind,
        pid: process.pid,
        host: os.hostname(),
        server: info.server,
        address: info.address,
        startedAt: now,
        heartbeatAt: now,
      })
      .run();
    // Rows of processes that died without cleaning up.
    db.delete(instances)
      .where(lt(instances.heartbeatAt, new Date(Date.now() - 10 * INSTANCE_STALE_MS)))
      .run();
  } catch (err) {
    log.warn(`could not register this instance: ${(err as Error).message}`);
  }
  const timer = setInterval(() => {
    try {
      db.update(instances).set({ heartbeatAt: new Date() }).where(eq(instances.id, id)).run();
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
        db.delete(instances).where(eq(instances.id, id)).run();
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
