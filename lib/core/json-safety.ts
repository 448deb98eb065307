/**
 * Helpers that keep a parsed JSON value and its copies identical.
 *
 * - `JSON.parse` turns a number literal too large for a double (`1e309`) into `Infinity`, which
 *   `JSON.stringify` writes as `null`: what a policy checked would not be what is forwarded or
 *   audited. `findNonFinite` finds such a number so the message can be refused.
 * - `JSON.parse` creates `__proto__` as an ordinary own key, but an assignment `out[k] = v` with
 *   `k === "__proto__"` sets the prototype instead. Copies must use `setOwnKey`.
 */

/** A key or list index on the way from the root of a JSON value to one of its members. */
export type JsonPathSegment = string | number;

type Walk = { node: object; keys: readonly string[] | null; next: number };

const walkOf = (node: object): Walk => ({
  node,
  keys: Array.isArray(node) ? null : Object.keys(node),
  next: 0,
});

/**
 * The path to the first number in `value` that is not finite (NaN, Infinity, -Infinity), in
 * document order, or null when there is none; `[]` when `value` itself is one. Pure, iterative
 * (a deep value cannot exhaust the stack) and linear in the size of the value. Own enumerable
 * keys only, so it reads a parsed `__proto__` key like any other. Meant for parsed JSON, which
 * never has cycles.
 */
export function findNonFinite(value: unknown): JsonPathSegment[] | null {
  if (typeof value === "number") return Number.isFinite(value) ? null : [];
  if (value === null || typeof value !== "object") return null;
  const stack: Walk[] = [walkOf(value)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Walk;
    const size = top.keys ? top.keys.length : (top.node as unknown[]).length;
    if (top.next >= size) {
      stack.pop();
      continue;
    }
    const key = top.keys ? (top.keys[top.next] as string) : top.next;
    top.next += 1;
    const child: unknown = (top.node as Record<string | number, unknown>)[key];
    if (typeof child === "number") {
      if (!Number.isFinite(child))
        return stack.map((w) => (w.keys ? (w.keys[w.next - 1] as string) : w.next - 1));
    } else if (child !== null && typeof child === "object") {
      stack.push(walkOf(child));
    }
  }
  return null;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const MAX_KEY_SHOWN = 64;

/**
 * `$.params.arguments.a`, `$.items[0]`, `$["a.b"]`: a path for messages and audit rows. Long
 * keys are shortened, so a hostile key cannot make the message large.
 */
export function formatJsonPath(path: readonly JsonPathSegment[]): string {
  let out = "$";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const shown =
        segment.length > MAX_KEY_SHOWN ? `${segment.slice(0, MAX_KEY_SHOWN)}…` : segment;
      out += IDENTIFIER.test(shown) ? `.${shown}` : `[${JSON.stringify(shown)}]`;
    }
  }
  return out;
}

/**
 * Sets `key` as an own, enumerable data property, as `JSON.parse` does. Unlike `target[key] =
 * value` it never sets a prototype for `__proto__` or runs a setter.
 */
export function setOwnKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Copies an object's own enumerable keys through `map`, keeping every key (`__proto__` too). */
export function mapOwnEntries(
  source: object,
  map: (value: unknown, key: string) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(source)) setOwnKey(out, k, map(v, k));
  return out;
}
