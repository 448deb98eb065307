import { z } from "zod";

import { EmailInput } from "../users/inputs";

export const SignInInput = z.object({
  email: EmailInput,
  password: z.string({ message: "Password is required" }).min(1, "Password is required").max(1024),
});
export type SignInInput = z.input<typeof SignInInput>;

/** Idle sessions end after this long; every request slides the end forward. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** No session outlives this, however active. */
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;

/** A six-digit authenticator code, or a recovery code (letters and digits, dashes ignored). */
export const SecondFactorInput = z
  .string({ message: "Enter the code from your authenticator app" })
  .trim()
  .min(6, "Enter the code from your authenticator app")
  .max(32, "That code is too long");

export const ReauthInput = z.object({
  password: z.string({ message: "Password is required" }).min(1, "Password is required").max(1024),
  code: SecondFactorInput.optional(),
});
export type ReauthInput = z.input<typeof ReauthInput>;

/** A password (and code) confirmation counts this long for sensitive changes. */
export const REAUTH_FRESH_MS = 5 * 60 * 1000;
/** A right password for a two-factor account must be followed by a code within this long. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** Wrong codes allowed per password challenge before the password must be given again. */
export const CHALLENGE_MAX_ATTEMPTS = 5;
