import path from "node:path";

import { ZodError } from "zod";

import type { Db } from "@/db/client";
import { AppError } from "@/lib/core/errors";
import { getActivePolicy, savePolicy } from "@/lib/services/policies";
import { getUpstreamByName } from "@/lib/services/upstreams";
import { CliError, inputError } from "../runtime";
import { cliContext } from "./audit";
import { checkPolicyFile } from "./validate";

/**
 * `policies apply NAME FILE`: validates the file (every problem with line:column, exit 1, and
 * the version in force stays), then saves it as a new version and activates it. A file equal
 * to the active version saves nothing, so a pipeline can apply on every run.
 */
export function policiesApply(
  db: Db,
  server: string,
  file: string,
  opts: { comment?: string },
): number {
  const ctx = cliContext(db);
  const upstream = getUpstreamByName(db, server);
  if (!upstream) throw new CliError(`no server named "${server}" (see portcullis servers list)`, 1);
  const yaml = checkPolicyFile(file);
  if (yaml === null) {
    process.stderr.write(`nothing saved; the policy in force for ${server} is unchanged\n`);
    return 1;
  }
  const active = getActivePolicy(ctx, { upstreamId: upstream.id });
  if (active.version && active.yaml === yaml) {
    process.stdout.write(
      `${server}: ${file} is already the active policy (version ${active.version.version}); nothing saved\n`,
    );
    return 0;
  }
  let saved;
  try {
    saved = savePolicy(ctx, {
      upstreamId: upstream.id,
      yaml,
      comment: opts.comment ?? `Applied from ${path.basename(file)} with the CLI`,
      activate: true,
    });
  } catch (err) {
    if (err instanceof ZodError) throw inputError(err, { comment: "--comment" });
    if (err instanceof AppError && err.code === "VALIDATION") throw new CliError(err.message, 1);
    throw err;
  }
  process.stdout.write(
    `${server}: saved policy version ${saved.version.version} and made it active\n`,
  );
  return 0;
}
