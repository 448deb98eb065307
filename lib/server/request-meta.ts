import "server-only";

import { getConsoleEnv } from "@/lib/env";

type HeaderBag = { get(name: string): string | null };

const trustProxy = () => getConsoleEnv().PORTCULLIS_TRUST_PROXY === "1";

function first(value: string | null): string | undefined {
  return value?.split(",")[0]?.trim() || undefined;
}

/**
 * The client address. Route handlers never see the socket: `next start` copies the socket
 * address into X-Forwarded-For only when the request carries none. So without a trusted proxy
 * a single-address header is taken as the socket's and a client-made hop list is ignored; behind
 * a trusted proxy (PORTCULLIS_TRUST_PROXY=1) the last hop, the one that proxy appended, is used.
 */
export function clientIp(headers: HeaderBag): string | undefined {
  const hops = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (trustProxy()) return hops.at(-1);
  return hops.length === 1 ? hops[0] : undefined;
}

export function isHttps(headers: HeaderBag): boolean {
  return first(headers.get("x-forwarded-proto")) === "https";
}

/** The origin the browser addressed, to compare with Origin / Referer. */
export function requestOrigin(headers: HeaderBag): string | undefined {
  const host =
    (trustProxy() ? first(headers.get("x-forwarded-host")) : undefined) ?? headers.get("host");
  if (!host) return undefined;
  return `${isHttps(headers) ? "https" : "http"}://${host}`;
}

/**
 * True when Origin (or, failing that, Referer) names this origin. A mutation that carries
 * neither is refused: every browser sends Origin on a fetch POST, and scripts can set it.
 */
export function isSameOrigin(headers: HeaderBag): boolean {
  const expected = requestOrigin(headers);
  if (!expected) return false;
  const origin = headers.get("origin");
  if (origin && origin !== "null") return origin === expected;
  const referer = headers.get("referer");
  if (!referer) return false;
  try {
    return new URL(referer).origin === expected;
  } catch {
    return false;
  }
}
