import { isSafePattern } from "redos-detector";

export type SafeRegexResult = { ok: true; regex: RegExp } | { ok: false; message: string };

const INLINE_CASE_INSENSITIVE = "(?i)";
const MAX_PATTERN_LENGTH = 1_000;
const cache = new Map<string, SafeRegexResult>();
const CACHE_LIMIT = 2_000;
// Bounds the checker itself so an adversarial pattern cannot stall validation; safe patterns
// finish in milliseconds, so only a pathological pattern (or a starved machine) reaches it.
const CHECK_TIMEOUT_MS = 1_000;

/**
 * Compiles a policy regex and proves it free of catastrophic backtracking with redos-detector.
 * The check runs on the pattern anchored at one start position: the search loop over start
 * positions adds only a linear factor. A leading `(?i)` (RE2 / Intercept syntax) becomes the `i`
 * flag. Results are memoised per pattern, because the check costs milliseconds.
 */
export function compileSafeRegex(pattern: string): SafeRegexResult {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const result = check(pattern);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, result);
  return result;
}

function check(pattern: string): SafeRegexResult {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, message: `invalid regex: longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  const caseInsensitive = pattern.startsWith(INLINE_CASE_INSENSITIVE);
  const source = caseInsensitive ? pattern.slice(INLINE_CASE_INSENSITIVE.length) : pattern;
  let regex: RegExp;
  try {
    regex = new RegExp(source, caseInsensitive ? "i" : "");
  } catch (err) {
    const detail =
      err instanceof Error ? err.message.replace(/^Invalid regular expression: /, "") : "";
    return { ok: false, message: `invalid regex: ${detail}` };
  }
  try {
    const verdict = isSafePattern(`^(?:${source})`, {
      caseInsensitive,
      maxSteps: 20_000,
      timeout: CHECK_TIMEOUT_MS,
    });
    if (!verdict.safe) {
      const why =
        verdict.error === "hitMaxScore"
          ? "may backtrack catastrophically"
          : "is too complex to prove safe";
      return {
        ok: false,
        message: `invalid regex: pattern ${why}; avoid nested or overlapping quantifiers such as (a+)+ or \\w+\\w+`,
      };
    }
  } catch {
    return {
      ok: false,
      message: "invalid regex: pattern uses syntax the safety checker cannot analyse",
    };
  }
  return { ok: true, regex };
}
