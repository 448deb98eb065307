import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { tempDatabase } from "@/lib/testing/proxy";
import { type Gateway, startGateway } from "../serve";
import { gatewayTestOptions } from "./helpers";

const TOKEN = "metrics-token-0123456789";

let t: ReturnType<typeof tempDatabase>;
let gateway: Gateway | null = null;
beforeEach(() => {
  t = tempDatabase();
});
afterEach(async () => {
  await gateway?.close();
  gateway = null;
  t.cleanup();
});

const scrape = (authorization?: string) =>
  fetch(`${gateway?.url}/metrics`, authorization ? { headers: { authorization } } : {});

describe("/metrics with a token", () => {
  it("answers only a request that carries the token", async () => {
    gateway = await startGateway(gatewayTestOptions(t.db, { metricsToken: TOKEN }));

    const none = await scrape();
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(await none.text()).not.toMatch(/portcullis_/);

    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, `Basic ${TOKEN}`])
      expect((await scrape(wrong)).status).toBe(401);

    const ok = await scrape(`Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^# HELP portcullis_/m);

    // Health stays open: load balancers probe it without credentials.
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });

  it("stays open when no token is configured (the default, for a loopback bind)", async () => {
    gateway = await startGateway(gatewayTestOptions(t.db));
    expect((await scrape()).status).toBe(200);
  });
});
