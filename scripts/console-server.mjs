// Serves the Next.js console, and only under the host names it answers to (DNS rebinding), for
// every path: pages, API and static files alike. Route handlers never see the socket, and
// `next start` keeps a client-sent X-Forwarded-For, so a client could pick its own address (and
// dodge per-address limits). Unless a trusted proxy sits in front, the forwarding headers are
// replaced with what the socket says before Next sees the request.
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

import next from "next";

import { allowedHosts, refuseForeignHost } from "./lib/host-guard.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev");
const hostname = process.env.PORTCULLIS_HOST || "127.0.0.1";
const port = Number(process.env.PORTCULLIS_CONSOLE_PORT || 7300);
const trustProxy = process.env.PORTCULLIS_TRUST_PROXY === "1";
const hosts = allowedHosts(process.env);

const app = next({ dev, dir: root, hostname, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  if (refuseForeignHost(req, res, hosts)) return;
  if (!trustProxy) {
    req.headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
    delete req.headers["x-forwarded-host"];
    delete req.headers["x-forwarded-proto"];
    delete req.headers["x-real-ip"];
  }
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});

server.listen(port, hostname, () => {
  console.error(
    `console listening on http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
  );
});

let closing = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
