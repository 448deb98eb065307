// Another commit's `portcullis` bundle, for measuring before and after in the same run: a detached
// git worktree in the temporary directory, sharing this checkout's node_modules, bundled by that
// commit's own build script.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { REPO_ROOT_FOR_TESTS as REPO_ROOT } from "@/lib/testing/proxy";

export type OtherBuild = { commit: string; file: string; remove: () => void };

export async function buildAt(ref: string): Promise<OtherBuild> {
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  const commit = git("rev-parse", "--short", `${ref}^{commit}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-build-"));
  const remove = () => {
    try {
      git("worktree", "remove", "--force", dir);
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
      git("worktree", "prune");
    }
  };
  try {
    git("worktree", "add", "--detach", "--force", dir, commit);
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    const bundler = (await import(
      pathToFileURL(path.join(dir, "scripts/lib/bundle.mjs")).href
    )) as {
      bundleCliIfStale: (root: string, o?: { quiet?: boolean }) => Promise<boolean>;
    };
    await bundler.bundleCliIfStale(dir, { quiet: true });
    return { commit, file: path.join(dir, "dist", "portcullis.mjs"), remove };
  } catch (err) {
    remove();
    throw err;
  }
}
