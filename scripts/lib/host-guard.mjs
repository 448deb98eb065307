// DNS rebinding: a page on another name that resolves to the console's address would otherwise
// drive the console (and its sign-in) from the victim's browser. The console answers only to the
// names it is served under: loopback, its bind address and PORTCULLIS_ALLOWED_HOSTS.

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1", "[::1]"];

/** The names the console answers to, from its settings. */
export function allowedHosts(env) {
  const bind = (env.PORTCULLIS_HOST || "127.0.0.1").toLowerCase();
  const extra = (env.PORTCULLIS_ALLOWED_HOSTS || "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  return new Set([...LOOPBACK_HOSTS, bind, bind.includes(":") ? `[${bind}]` : bind, ...extra]);
}

/** The name in a Host header, without its port; IPv6 literals keep their brackets. */
export function hostName(header) {
  const h = String(header ?? "")
    .trim()
    .toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon > 0 && h.indexOf(":") === colon ? h.slice(0, colon) : h;
}

/**
 * Answers 403 and returns true when the request's Host is not one the console answers to;
 * returns false, touching nothing, otherwise.
 */
export function refuseForeignHost(req, res, allowed) {
  if (allowed.has(hostName(req.headers.host))) return false;
  res.writeHead(403, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(
    "Forbidden: this console does not answer to that host name. An operator can add it to PORTCULLIS_ALLOWED_HOSTS.\n",
  );
  return true;
}
