/**
 * Equality for policy values: two numbers compare numerically (so -0 equals 0, NaN equals
 * nothing); everything else must match in JSON type and content. The string "100" never equals
 * the number 100. Recursion follows the policy-side value, which is small and finite.
 */
export function jsonEqual(actual: unknown, expected: unknown): boolean {
  if (typeof expected === "number") return typeof actual === "number" && actual === expected;
  if (expected === null) return actual === null;
  if (typeof expected !== "object") return actual === expected;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return false;
    for (let i = 0; i < expected.length; i += 1) {
      if (!jsonEqual(actual[i], expected[i])) return false;
    }
    return true;
  }
  if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return false;
  const want = expected as Record<string, unknown>;
  const have = actual as Record<string, unknown>;
  const keys = Object.keys(want);
  if (Object.keys(have).length !== keys.length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(have, key) || !jsonEqual(have[key], want[key])) return false;
  }
  return true;
}
