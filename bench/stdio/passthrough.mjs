// A raw pass-through: starts the command given after it and copies newline-delimited messages
// both ways without parsing them. The stdio benchmark's baseline for what any proxy process costs.
import { spawn } from "node:child_process";
import readline from "node:readline";

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
readline
  .createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on("line", (line) => child.stdin.write(`${line}\n`))
  .on("close", () => child.stdin.end());
readline
  .createInterface({ input: child.stdout, crlfDelay: Infinity })
  .on("line", (line) => process.stdout.write(`${line}\n`));
child.on("exit", (code) => process.exit(code ?? 0));
for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => child.kill(sig));
