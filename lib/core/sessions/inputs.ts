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

export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
export const SIGN_IN_MAX_FAILURES_PER_EMAIL = 5;
export const SIGN_IN_MAX_FAILURES_PER_IP = 30;
