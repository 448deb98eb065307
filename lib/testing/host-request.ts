import http from "node:http";

/**
 * A GET to 127.0.0.1:`port` whose Host header is `host` (what a browser sends for a name that
 * resolves there), or no Host header at all when `host` is null.
 */
export function getWithHost(
  port: number,
  path: string,
  host: string | null,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, setHost: false });
    if (host !== null) req.setHeader("host", host);
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
