import "server-only";

import { getConsoleEnv } from "@/lib/env";

type HeaderBag = { get(name: string): string | null };

const trustProxy = () => getConsoleEnv().PORTCULLIS_TRUST_PROXY === "1";

function first(value: string | null): string | undefined {
  return value?.split(",")[0]?.trim() || undefined;
}

/**
 * The client address. Route handlers never see the socket, so the console's server
 * (scripts/console-server.mjs) replaces X-Forwarded-For with the socket address unless
 * PORTCULLIS_TRUST_PROXY=1; behind a trusted proxy the last hop, the one it appended, is used.
 * A hop list without a trusted proxy means the request bypassed that server: no address.
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
