#!/usr/bin/env node
// Runs the CLI from its bundle, rebuilding the bundle first when a source file is newer, so
// `npx portcullis` works straight after install. Nothing here may write to stdout: for
// `portcullis run`, stdout is the MCP channel.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

if (!fs.existsSync(path.join(root, "node_modules", "esbuild"))) {
  process.stderr.write(`portcullis: dependencies are missing; run \`npm install\` in ${root}\n`);
  process.exit(1);
}

const { bundleCliIfStale } = await import(pathToFileURL(path.join(root, "scripts/lib/bundle.mjs")).href);
try {
  await bundleCliIfStale(root, { quiet: true });
} catch (err) {
  process.stderr.write(`portcullis: could not build the CLI: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
await import(pathToFileURL(path.join(root, "dist", "portcullis.mjs")).href);
