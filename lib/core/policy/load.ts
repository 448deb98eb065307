import { AppError } from "../errors";
import { parsePolicy } from "./parse";
import { compilePolicy, type PolicySnapshot } from "./snapshot";
import type { PolicyIssue } from "./types";

export type LoadResult =
  | { ok: true; snapshot: PolicySnapshot; warnings: PolicyIssue[] }
  | { ok: false; errors: PolicyIssue[] };

/** Parse, validate and compile in one step. Never throws for bad input. */
export function loadPolicy(text: string): LoadResult {
  const parsed = parsePolicy(text);
  if (!parsed.ok) return parsed;
  try {
    return { ok: true, snapshot: compilePolicy(parsed.policy), warnings: parsed.warnings };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, errors: [{ path: "", message: err.message }] };
    throw err;
  }
}
