/** True when a tool entry, hide entry or grant pattern contains wildcards. */
export function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/**
 * Wildcard match without regular expressions: `*` matches any run of characters (also empty),
 * `?` exactly one. Greedy with single back-off point, so it runs in O(pattern × name).
 */
export function globMatches(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    const pc = pattern.charCodeAt(p);
    if (p < pattern.length && (pc === 63 || pc === name.charCodeAt(n))) {
      p += 1;
      n += 1;
    } else if (p < pattern.length && pc === 42) {
      star = p;
      resume = n;
      p += 1;
    } else if (star !== -1) {
      p = star + 1;
      resume += 1;
      n = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p += 1;
  return p === pattern.length;
}

/** Exact names compare by equality; `"*"` and globs by wildcard match. */
export function patternMatches(pattern: string, name: string): boolean {
  if (pattern === "*") return true;
  return isGlob(pattern) ? globMatches(pattern, name) : pattern === name;
}
