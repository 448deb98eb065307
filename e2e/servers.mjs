// Starts the console and the gateway exactly as `npm start` does, on a fresh database.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = path.join(root, "reports", "e2e-db");
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });

const child = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    PORTCULLIS_DB: path.join(dir, "portcullis.db"),
    PORTCULLIS_CONSOLE_PORT: "7310",
    PORTCULLIS_GATEWAY_PORT: "7410",
    PORTCULLIS_ADMIN_EMAIL: "admin@portcullis.test",
    PORTCULLIS_ADMIN_PASSWORD: "correct horse battery staple",
    PORTCULLIS_APPROVAL_WAIT_MS: "3000",
    PORTCULLIS_LOG_LEVEL: "warn",
  },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
