// Starts the console and the gateway exactly as `npm start` does, on a fresh database.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const base = Number(process.env.PORTCULLIS_E2E_BASE_PORT);
if (!Number.isInteger(base)) throw new Error("PORTCULLIS_E2E_BASE_PORT is set by playwright.config.ts");
const dir = path.join(root, "reports", `e2e-db-${base}`);
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });

const child = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    PORTCULLIS_DB: path.join(dir, "portcullis.db"),
    PORTCULLIS_CONSOLE_PORT: String(base),
    PORTCULLIS_GATEWAY_PORT: String(base + 1),
    PORTCULLIS_ADMIN_EMAIL: "admin@portcullis.test",
    PORTCULLIS_ADMIN_PASSWORD: "correct horse battery staple",
    PORTCULLIS_APPROVAL_WAIT_MS: "3000",
    PORTCULLIS_LOG_LEVEL: "warn",
  },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
