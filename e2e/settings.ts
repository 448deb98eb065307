import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

// The runner picks a port block once and its workers inherit it through the environment, so
// two test runs on one machine never share servers or a database.
process.env.PORTCULLIS_E2E_BASE_PORT ??= String(20_000 + (process.pid % 5_000) * 4);
const base = Number(process.env.PORTCULLIS_E2E_BASE_PORT);
const dir = path.join(root, "reports", `e2e-db-${base}`);

/** Test ports and a throw-away database; e2e/servers.mjs starts both processes on them. */
export const E2E = {
  root,
  dir,
  dbFile: path.join(dir, "portcullis.db"),
  demoKeyFile: path.join(dir, "demo-agent.key"),
  consolePort: base,
  gatewayPort: base + 1,
  /** A second `npm start` for the supervision tests. */
  spareConsolePort: base + 2,
  spareGatewayPort: base + 3,
  consoleUrl: `http://127.0.0.1:${base}`,
  gatewayUrl: `http://127.0.0.1:${base + 1}`,
  adminEmail: "admin@portcullis.test",
  password: "correct horse battery staple",
} as const;
