import { createHash } from "node:crypto";
import fs from "node:fs";

import type { Db } from "@/db/client";
import type { Tool, Upstream } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import {
  type Grant,
  IMPLICIT_DENY,
  loadPolicy,
  type PolicyIssue,
  type PolicySnapshot,
} from "@/lib/core/policy";
import { readConfigVersion } from "@/lib/services/config-version";
import {
  agentKeyStanding,
  loadActivePolicyVersion,
  loadAgentGrants,
  loadUpstreamByName,
  loadUpstreamTools,
} from "@/lib/services/gateway";
import { log } from "./log";

/** Everything a call is decided against, as of one config version. */
export type EnforcementView = {
  snapshot: PolicySnapshot;
  /** Audit label of the policy in force: a policy version id, `file:<sha>`, or `implicit-deny`. */
  policyVersion: string;
  grants: readonly Grant[];
  upstream: Upstream | null;
  tools: ReadonlyMap<string, Tool>;
};

export interface PolicySource {
  /** Cheap enough for every call: at most one indexed read unless something changed. */
  current(): EnforcementView;
  close(): void;
}

export function formatIssues(file: string, issues: readonly PolicyIssue[]): string {
  return issues
    .map(
      (i) =>
        `${file}:${i.line ?? 0}:${i.column ?? 0}: ${i.message}${i.path ? ` (at ${i.path})` : ""}`,
    )
    .join("\n");
}

const compiled = new Map<string, PolicySnapshot | null>();

function compileVersion(id: string, yaml: string): PolicySnapshot | null {
  if (compiled.has(id)) return compiled.get(id) ?? null;
  const result = loadPolicy(yaml);
  const snapshot = result.ok ? result.snapshot : null;
  if (!result.ok)
    log.error(
      `stored policy version ${id} does not load; denying every call:\n${formatIssues(id, result.errors)}`,
    );
  if (compiled.size > 256) compiled.clear();
  compiled.set(id, snapshot);
  return snapshot;
}

/**
 * The active policy, grants and tool inventory of one upstream for one agent, rebuilt whenever
 * config_version moved — so a policy or grant saved in the console applies to the next call.
 */
export class DbPolicySource implements PolicySource {
  private version = -1;
  private view: EnforcementView | null = null;

  constructor(
    private readonly db: Db,
    private readonly server: string,
    private readonly agentId: string | null,
  ) {}

  current(): EnforcementView {
    const version = readConfigVersion(this.db);
    if (this.view && version === this.version) return this.view;
    const upstream = loadUpstreamByName(this.db, this.server);
    if (!upstream)
      throw new AppError("NOT_FOUND", `No upstream server named "${this.server}" is configured`);
    if (!upstream.enabled)
      throw new AppError("UPSTREAM_UNAVAILABLE", `Server "${this.server}" is disabled`);
    const active = loadActivePolicyVersion(this.db, upstream.id);
    const snapshot = active ? compileVersion(active.id, active.yaml) : null;
    this.view = {
      snapshot: snapshot ?? IMPLICIT_DENY,
      policyVersion: snapshot && active ? active.id : "implicit-deny",
      grants: this.agentId ? loadAgentGrants(this.db, this.agentId, upstream.id) : [],
      upstream,
      tools: new Map(loadUpstreamTools(this.db, upstream.id).map((t) => [t.name, t])),
    };
    this.version = version;
    return this.view;
  }

  close(): void {}
}

/**
 * A policy file given to `portcullis run --policy`. Checked for changes on every call and by a
 * watcher: a valid edit applies to the next call; an invalid one is reported on stderr and the
 * previous policy stays in force. An upstream row of the same name, if one exists, supplies the
 * tool inventory.
 */
export class FilePolicySource implements PolicySource {
  private stamp: FileStamp;
  /** The stamp of the last version refused (undefined: none yet; null: the file was missing). */
  private rejectedStamp: FileStamp | undefined = undefined;
  /** The version in force, built once per version: every call reads it. */
  private view: EnforcementView;

  constructor(
    private readonly file: string,
    db: Db | null,
    server: string,
  ) {
    const text = fs.readFileSync(file, "utf8");
    const result = loadPolicy(text);
    if (!result.ok) throw new PolicyFileError(formatIssues(file, result.errors));
    for (const w of result.warnings) log.warn(formatIssues(file, [w]));
    this.stamp = statStamp(file);
    const upstream = db ? loadUpstreamByName(db, server) : null;
    this.view = {
      snapshot: result.snapshot,
      policyVersion: fileLabel(text),
      grants: [],
      upstream,
      tools: new Map(
        db && upstream ? loadUpstreamTools(db, upstream.id).map((t) => [t.name, t]) : [],
      ),
    };
    fs.watchFile(file, { interval: 500, persistent: false }, () => this.refresh());
  }

  private refresh(): void {
    const stamp = statStamp(this.file);
    if (sameStamp(stamp, this.stamp)) return;
    if (this.rejectedStamp !== undefined && sameStamp(stamp, this.rejectedStamp)) return;
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (err) {
      this.rejectedStamp = stamp;
      log.error(
        `cannot read ${this.file} (${(err as Error).message}); keeping the previous policy`,
      );
      return;
    }
    const result = loadPolicy(text);
    if (!result.ok) {
      this.rejectedStamp = stamp;
      log.error(
        `policy change rejected; keeping the previous policy:\n${formatIssues(this.file, result.errors)}`,
      );
      return;
    }
    this.stamp = stamp;
    this.view = { ...this.view, snapshot: result.snapshot, policyVersion: fileLabel(text) };
    log.info(`policy ${this.file} reloaded (${this.view.policyVersion})`);
  }

  current(): EnforcementView {
    this.refresh();
    return this.view;
  }

  close(): void {
    fs.unwatchFile(this.file);
  }
}

/**
 * A source that answers only while the agent key a long-running `portcullis run` started with
 * still stands: revoking it, disabling its agent (both move config_version) or its expiry
 * refuses the next call, as the gateway refuses the key's next request.
 */
export class KeyCheckedSource implements PolicySource {
  private version = -1;
  private standing: { expiresAt: number | null } | null = null;

  constructor(
    private readonly inner: PolicySource,
    private readonly db: Db,
    private readonly keyId: string,
  ) {}

  current(): EnforcementView {
    const version = readConfigVersion(this.db);
    if (version !== this.version) {
      this.standing = agentKeyStanding(this.db, this.keyId);
      this.version = version;
    }
    const s = this.standing;
    if (!s || (s.expiresAt !== null && s.expiresAt <= Date.now()))
      throw new AppError(
        "UNAUTHENTICATED",
        "the agent key was revoked, expired or its agent disabled",
      );
    return this.inner.current();
  }

  close(): void {
    this.inner.close();
  }
}

export class PolicyFileError extends Error {
  override readonly name = "PolicyFileError";
}

/** What tells a policy file's versions apart without reading it (null: it cannot be stat'ed). */
type FileStamp = { mtimeMs: number; size: number; ino: number } | null;

function statStamp(file: string): FileStamp {
  try {
    // Stat'ed before every call, so a missing file is an answer, not an exception.
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st ? { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino } : null;
  } catch {
    return null;
  }
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  if (a === null || b === null) return a === b;
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}

function fileLabel(text: string): string {
  return `file:${createHash("sha256").update(text).digest("hex").slice(0, 12)}`;
}
