import { randomBytes } from "node:crypto";

import { ZodError } from "zod";

import type { Db } from "@/db/client";
import { resetPassword } from "@/lib/services/users";
import { CliError, inputError } from "../runtime";
import { cliContext } from "./audit";

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new CliError("--password-stdin reads the password from a pipe, not a terminal", 2);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/**
 * `users reset-password`: a new password for a console user, their sessions ended and their
 * sign-in backoff cleared (and, with --reset-mfa, their two-factor removed). Without
 * --password-stdin a random password is generated and printed once.
 */
export async function usersResetPassword(
  db: Db,
  email: string,
  opts: { passwordStdin?: boolean; resetMfa?: boolean },
): Promise<number> {
  const generated = opts.passwordStdin ? null : randomBytes(15).toString("base64url");
  const password = generated ?? (await readStdin());
  let user;
  try {
    user = await resetPassword(cliContext(db), {
      email,
      password,
      resetMfa: opts.resetMfa === true,
    });
  } catch (err) {
    if (err instanceof ZodError) throw inputError(err, { email: "EMAIL", password: "password" });
    throw err;
  }
  const mfa = opts.resetMfa ? "; two-factor removed (set it up again after signing in)" : "";
  process.stdout.write(
    `password reset for ${user.email}; their sessions are ended and failed sign-ins cleared${mfa}\n`,
  );
  if (generated)
    process.stdout.write(`new password (shown once, share it privately): ${generated}\n`);
  return 0;
}
