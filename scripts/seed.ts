// Validates every setting, migrates, and on an empty database creates the first admin, the demo
// upstream with its starter policy and the demo agent. Secrets are printed once, here only.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import { count } from "drizzle-orm";

import { MIGRATIONS_DIR } from "@/db/client";
import { users } from "@/db/schema";
import { newId } from "@/lib/core/ids";
import { EnvError, getConsoleEnv, loadGatewayEnv, loadSeedEnv } from "@/lib/env";
import { createAgent, createAgentKey } from "@/lib/services/agents";
import type { ServiceContext } from "@/lib/services/context";
import { openMigratedDb } from "@/lib/services/database";
import { savePolicy } from "@/lib/services/policies";
import { createUpstream } from "@/lib/services/upstreams";
import { createUser } from "@/lib/services/users";

const root = path.resolve(import.meta.dirname, "..");

/** Every process's settings checked together, so all problems are listed at once. */
function loadSettings() {
  const problems = new Set<string>();
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof EnvError)) throw err;
      for (const line of err.message.split("\n").slice(1)) problems.add(line);
      return undefined;
    }
  };
  attempt(getConsoleEnv);
  attempt(() => loadGatewayEnv());
  const seedEnv = attempt(() => loadSeedEnv());
  if (problems.size > 0 || !seedEnv) {
    console.error(`Invalid environment:\n${[...problems].join("\n")}`);
    process.exit(1);
  }
  return {
    db: seedEnv.PORTCULLIS_DB,
    adminEmail: seedEnv.PORTCULLIS_ADMIN_EMAIL,
    adminPassword: seedEnv.PORTCULLIS_ADMIN_PASSWORD,
  };
}

function everythingServerEntry(): string {
  const pkgDir = path.join(root, "node_modules", "@modelcontextprotocol", "server-everything");
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as {
    bin: Record<string, string>;
  };
  const bin = pkg.bin["mcp-server-everything"];
  if (!bin) throw new Error("server-everything has no mcp-server-everything bin");
  return path.join(pkgDir, bin);
}

async function seed() {
  const settings = loadSettings();
  const db = openMigratedDb(settings.db, path.join(root, MIGRATIONS_DIR));
  const existing = db.select({ n: count() }).from(users).get()?.n ?? 0;
  if (existing > 0) {
    db.$client.close();
    return;
  }

  const ctx: ServiceContext = {
    db,
    actor: { type: "system", job: "seed" },
    source: "system",
    requestId: newId("request"),
    now: () => new Date(),
  };
  const password = settings.adminPassword ?? randomBytes(15).toString("base64url");
  await createUser(ctx, { email: settings.adminEmail, name: "Administrator", password, role: "admin" });

  const upstream = createUpstream(ctx, {
    name: "everything",
    description: "Demo: the MCP reference server with every feature (@modelcontextprotocol/server-everything)",
    transport: "stdio",
    command: process.execPath,
    args: [everythingServerEntry(), "stdio"],
  });
  savePolicy(ctx, {
    upstreamId: upstream.id,
    yaml: fs.readFileSync(path.join(root, "db", "seed", "everything-policy.yaml"), "utf8"),
    comment: "Starter policy for the demo server",
    activate: true,
  });

  const agent = createAgent(ctx, {
    name: "demo-agent",
    owner: "Portcullis demo",
    description: "Runs `npm run demo` against the demo server",
  });
  const { key } = createAgentKey(ctx, { agentId: agent.id, name: "demo" });
  const keyFile = path.join(path.dirname(settings.db), "demo-agent.key");
  fs.writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  db.$client.close();

  console.error(
    [
      "",
      "First run: created the admin, the demo server and the demo agent.",
      `  Admin:           ${settings.adminEmail}`,
      settings.adminPassword
        ? "  Admin password:  (from PORTCULLIS_ADMIN_PASSWORD)"
        : `  Admin password:  ${password}   (shown once; change it in the console)`,
      `  Demo agent key:  ${key}   (shown once; also saved to ${keyFile})`,
      "",
    ].join("\n"),
  );
}

await seed();
