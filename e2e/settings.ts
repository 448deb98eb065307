import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const dir = path.join(root, "reports", "e2e-db");

/** Fixed test ports and a throw-away database; e2e/servers.mjs starts both processes on them. */
export const E2E = {
  root,
  dir,
  dbFile: path.join(dir, "portcullis.db"),
  demoKeyFile: path.join(dir, "demo-agent.key"),
  consolePort: 7310,
  gatewayPort: 7410,
  consoleUrl: "http://127.0.0.1:7310",
  gatewayUrl: "http://127.0.0.1:7410",
  adminEmail: "admin@portcullis.test",
  password: "correct horse battery staple",
} as const;
