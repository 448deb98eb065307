import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { type Db, openMigratedDb as openAndMigrate } from "@/db/client";
import { AppError } from "@/lib/core/errors";
import { loadCliEnv, loadGatewayEnv } from "@/lib/env";
import { listEnabledUpstreams, loadUpstreamByName } from "@/lib/services/gateway";
import { keyFilePath, openUpstreamSecrets, rotateSecretsKey } from "@/lib/services/secrets";
import {
  createUpstream,
  listUpstreams,
  toUpstreamView,
  updateUpstream,
} from "@/lib/services/upstreams";
import { MIGRATIONS, testContext } from "@/lib/testing";
import { insertUpstream } from "@/lib/testing/factories";
import { openMigratedDb } from "../database";

const ENV_SECRET = "sk-live-envsecret-4f1c";
const HEADER_SECRET = "Bearer upstream-header-secret-9a2e";
/** Changing a server's environment from the host's CLI, which needs no password confirmation. */
const host = { type: "system", job: "cli" } as const;

let dir: string;
let file: string;
const open: Db[] = [];
const saved = {
  key: process.env.PORTCULLIS_SECRETS_KEY,
  prev: process.env.PORTCULLIS_SECRETS_KEY_PREVIOUS,
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-secrets-"));
  file = path.join(dir, "data", "portcullis.db");
  delete process.env.PORTCULLIS_SECRETS_KEY;
  delete process.env.PORTCULLIS_SECRETS_KEY_PREVIOUS;
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.$client.open) db.$client.close();
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [
    ["PORTCULLIS_SECRETS_KEY", saved.key],
    ["PORTCULLIS_SECRETS_KEY_PREVIOUS", saved.prev],
  ] as const)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});

/** A handle as a process opens it at start (migrate, then seal what is still in clear). */
function start(): Db {
  const db = openMigratedDb(file, MIGRATIONS);
  open.push(db);
  return db;
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;

function addServers(db: Db) {
  const ctx = testContext(db);
  const stdio = createUpstream(ctx, {
    name: "files",
    transport: "stdio",
    command: "node",
    env: { API_KEY: ENV_SECRET },
  });
  const http = createUpstream(ctx, {
    name: "remote",
    transport: "http",
    url: "https://mcp.example.com/mcp",
    headers: { Authorization: HEADER_SECRET },
  });
  return { stdio, http };
}

/** Every byte SQLite has on disk for this database: the file and its write-ahead log. */
function bytesOnDisk(): string {
  return ["", "-wal"]
    .map((s) => (fs.existsSync(file + s) ? fs.readFileSync(file + s).toString("latin1") : ""))
    .join("");
}

describe("files at rest", () => {
  it("creates the folder 0700 and the database, its WAL and shared memory 0600", () => {
    const db = start();
    addServers(db);
    expect(mode(path.dirname(file))).toBe(0o700);
    for (const f of [file, `${file}-wal`, `${file}-shm`, keyFilePath(file)]) {
      expect(fs.existsSync(f), f).toBe(true);
      expect(mode(f), f).toBe(0o600);
    }
  });

  it("tightens files an earlier version left readable by others", () => {
    start().$client.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`])
      if (fs.existsSync(f)) fs.chmodSync(f, 0o644);
    fs.writeFileSync(`${file}-wal`, "", { flag: "a", mode: 0o644 });
    fs.chmodSync(`${file}-wal`, 0o644);
    start();
    for (const f of [file, `${file}-wal`]) expect(mode(f), f).toBe(0o600);
  });
});

describe("upstream secrets", () => {
  it("are stored sealed, never in clear on disk, and opened only by the gateway's loaders", () => {
    const db = start();
    const { stdio, http } = addServers(db);

    const raw = db.$client.prepare("SELECT env, headers FROM upstreams").all() as {
      env: string;
      headers: string;
    }[];
    expect(JSON.stringify(raw)).not.toContain(ENV_SECRET);
    expect(JSON.stringify(raw)).not.toContain("upstream-header-secret");
    expect(JSON.stringify(raw)).toMatch(/enc:v1:[0-9a-f]{16}:/);
    db.$client.pragma("wal_checkpoint(TRUNCATE)");
    expect(bytesOnDisk()).not.toContain(ENV_SECRET);
    expect(bytesOnDisk()).not.toContain("upstream-header-secret");

    // What services hand back to the console or the CLI is the stored, sealed row.
    expect(stdio.env.API_KEY).toMatch(/^enc:v1:/);
    expect(http.headers.Authorization).toMatch(/^enc:v1:/);

    expect(loadUpstreamByName(db, "files")?.env).toEqual({ API_KEY: ENV_SECRET });
    expect(loadUpstreamByName(db, "remote")?.headers).toEqual({ Authorization: HEADER_SECRET });
    expect(listEnabledUpstreams(db).map((u) => [u.name, u.env, u.headers])).toEqual([
      ["files", { API_KEY: ENV_SECRET }, {}],
      ["remote", {}, { Authorization: HEADER_SECRET }],
    ]);
  });

  it("never leave through the views the API and pages render, nor through the audit log", () => {
    const db = start();
    const { stdio } = addServers(db);
    updateUpstream(testContext(db, host), {
      upstreamId: stdio.id,
      env: { API_KEY: `${ENV_SECRET}-2` },
    });
    const views = JSON.stringify(
      listUpstreams(testContext(db)).map((r) => toUpstreamView(r.upstream, r.activePolicyVersion)),
    );
    expect(views).not.toContain("envsecret");
    expect(views).not.toContain("enc:v1");
    expect(views).toContain("API_KEY");
    const audit = JSON.stringify(db.$client.prepare("SELECT * FROM audit_events").all());
    expect(audit).not.toContain("envsecret");
    expect(audit).not.toContain("upstream-header-secret");
    expect(audit).not.toContain("enc:v1");
  });

  it("an update that keeps the same value is not a change, a new value is", () => {
    const db = start();
    const { stdio } = addServers(db);
    const same = updateUpstream(testContext(db, host), {
      upstreamId: stdio.id,
      env: { API_KEY: ENV_SECRET },
    });
    expect(openUpstreamSecrets(db, same).env).toEqual({ API_KEY: ENV_SECRET });
    const updates = () =>
      db.$client
        .prepare("SELECT detail FROM audit_events WHERE action = 'upstream.update'")
        .all() as {
        detail: string;
      }[];
    expect(updates()).toHaveLength(0);
    updateUpstream(testContext(db, host), { upstreamId: stdio.id, env: { API_KEY: "other" } });
    expect(JSON.parse(updates()[0]?.detail ?? "{}").after.envValues).toBe("replaced");
    expect(loadUpstreamByName(db, "files")?.env).toEqual({ API_KEY: "other" });
  });

  it("a sealed value moved to another server, or altered, does not open", () => {
    const db = start();
    addServers(db);
    const other = createUpstream(testContext(db), {
      name: "other",
      transport: "stdio",
      command: "node",
      env: { API_KEY: "x" },
    });
    const sealed = (
      db.$client.prepare("SELECT env FROM upstreams WHERE name = 'files'").get() as {
        env: string;
      }
    ).env;
    db.$client.prepare("UPDATE upstreams SET env = ? WHERE id = ?").run(sealed, other.id);
    expect(() => loadUpstreamByName(db, "other")).toThrow(/altered or moved/);

    const value = JSON.parse(sealed).API_KEY as string;
    const flipped = value.slice(0, -30) + (value.at(-30) === "A" ? "B" : "A") + value.slice(-29);
    db.$client
      .prepare("UPDATE upstreams SET env = ? WHERE name = 'files'")
      .run(JSON.stringify({ API_KEY: flipped }));
    expect(() => loadUpstreamByName(db, "files")).toThrow(AppError);
  });

  it("values stored in clear by an earlier version are sealed at the next start, once", () => {
    // As an earlier version left it: migrated, values written in clear.
    const first = openAndMigrate(file, MIGRATIONS);
    insertUpstream(first, { name: "legacy", env: { API_KEY: ENV_SECRET }, command: "node" });
    insertUpstream(first, {
      name: "legacy-http",
      transport: "http",
      command: null,
      url: "https://mcp.example.com/mcp",
      headers: { "X-Api-Key": ENV_SECRET },
    });
    first.$client.close();

    const db = start();
    const stored = () =>
      db.$client.prepare("SELECT name, env, headers FROM upstreams ORDER BY name").all();
    const afterFirst = JSON.stringify(stored());
    expect(afterFirst).not.toContain(ENV_SECRET);
    expect(loadUpstreamByName(db, "legacy")?.env).toEqual({ API_KEY: ENV_SECRET });
    expect(loadUpstreamByName(db, "legacy-http")?.headers).toEqual({ "X-Api-Key": ENV_SECRET });
    db.$client.pragma("wal_checkpoint(TRUNCATE)");
    db.$client.exec("VACUUM");
    expect(bytesOnDisk()).not.toContain(ENV_SECRET);

    start();
    expect(JSON.stringify(stored())).toBe(afterFirst);
  });
});

describe("key rotation", () => {
  it("re-seals every value under a new key in the file and drops the old one; other handles follow", () => {
    const db = start();
    addServers(db);
    const other = start(); // another process, with the old key cached
    expect(loadUpstreamByName(other, "files")?.env).toEqual({ API_KEY: ENV_SECRET });
    const keyText = () => fs.readFileSync(keyFilePath(file), "utf8");
    const before = keyText();

    const r = rotateSecretsKey(testContext(db));
    expect(r).toMatchObject({ source: "file", values: 2, keyFile: keyFilePath(file) });
    expect(r.retiredKeyIds).toHaveLength(1);
    expect(keyText()).not.toBe(before);
    expect(
      keyText()
        .split("\n")
        .filter((l) => l && !l.startsWith("#")),
    ).toHaveLength(1);
    expect(mode(keyFilePath(file))).toBe(0o600);
    const stored = JSON.stringify(db.$client.prepare("SELECT env, headers FROM upstreams").all());
    expect(stored).toContain(`enc:v1:${r.keyId}:`);
    expect(stored).not.toContain(`enc:v1:${r.retiredKeyIds[0]}:`);

    expect(loadUpstreamByName(other, "files")?.env).toEqual({ API_KEY: ENV_SECRET });
    const added = createUpstream(testContext(other), {
      name: "after",
      transport: "stdio",
      command: "node",
      env: { K: "v" },
    });
    expect(added.env.K).toContain(`enc:v1:${r.keyId}:`);
    const audit = db.$client
      .prepare("SELECT detail FROM audit_events WHERE action = 'secrets.rotate_key'")
      .get() as { detail: string };
    expect(JSON.parse(audit.detail)).toMatchObject({ source: "file", values: 2 });
    for (const key of [before, keyText()]
      .flatMap((t) => t.split("\n"))
      .filter((l) => /^[A-Za-z0-9+/]{43}=$/.test(l)))
      expect(audit.detail).not.toContain(key);
  });

  it("changes nothing when a stored value does not open with the keys at hand", () => {
    const db = start();
    addServers(db);
    const keyFile = keyFilePath(file);
    fs.writeFileSync(keyFile, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
    const before = fs.readFileSync(keyFile, "utf8");
    const stored = () =>
      JSON.stringify(db.$client.prepare("SELECT env, headers FROM upstreams").all());
    const values = stored();
    expect(() => rotateSecretsKey(testContext(start()))).toThrow(/not configured/);
    expect(fs.readFileSync(keyFile, "utf8")).toBe(before);
    expect(stored()).toBe(values);
  });

  it("takes the key from PORTCULLIS_SECRETS_KEY instead of a file, and rotates to a new one", () => {
    const k1 = randomBytes(32).toString("base64");
    const k2 = randomBytes(32).toString("base64");
    process.env.PORTCULLIS_SECRETS_KEY = k1;
    const db = start();
    addServers(db);
    expect(fs.existsSync(keyFilePath(file))).toBe(false);

    // Without the key, nothing opens.
    delete process.env.PORTCULLIS_SECRETS_KEY;
    const keyless = start();
    expect(() => loadUpstreamByName(keyless, "files")).toThrow(/not configured/);

    process.env.PORTCULLIS_SECRETS_KEY = k2;
    process.env.PORTCULLIS_SECRETS_KEY_PREVIOUS = k1;
    const next = start();
    const r = rotateSecretsKey(testContext(next));
    expect(r).toMatchObject({ source: "env", values: 2 });
    expect(r.retiredKeyIds).toHaveLength(1);

    delete process.env.PORTCULLIS_SECRETS_KEY_PREVIOUS;
    const after = start();
    expect(loadUpstreamByName(after, "remote")?.headers).toEqual({ Authorization: HEADER_SECRET });
  });
});

describe("settings", () => {
  it("refuse a secrets key that is not 32 bytes of base64, naming the variable", () => {
    expect(() => loadCliEnv({ PORTCULLIS_SECRETS_KEY: "too-short" })).toThrow(
      /PORTCULLIS_SECRETS_KEY/,
    );
    expect(() =>
      loadGatewayEnv({
        PORTCULLIS_SECRETS_KEY_PREVIOUS: `${randomBytes(32).toString("base64")},nope`,
      }),
    ).toThrow(/PORTCULLIS_SECRETS_KEY_PREVIOUS/);
    const key = randomBytes(32).toString("base64");
    expect(loadCliEnv({ PORTCULLIS_SECRETS_KEY: key }).PORTCULLIS_SECRETS_KEY).toBe(key);
  });
});

describe("rows without secrets", () => {
  it("need no key at all", () => {
    const db = start();
    createUpstream(testContext(db), { name: "plain", transport: "stdio", command: "node" });
    expect(fs.existsSync(keyFilePath(file))).toBe(false);
    expect(loadUpstreamByName(db, "plain")?.env).toEqual({});
  });
});
