import os from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { EnvError, loadCliEnv, loadGatewayEnv, loadSeedEnv } from "./env";

describe("environment", () => {
  it("applies defaults, with the database under the home folder", () => {
    const env = loadGatewayEnv({});
    expect(env.PORTCULLIS_DB).toBe(path.join(os.homedir(), ".portcullis", "portcullis.db"));
    expect(env.PORTCULLIS_HOST).toBe("127.0.0.1");
    expect(env.PORTCULLIS_GATEWAY_PORT).toBe(7400);
    expect(env.PORTCULLIS_APPROVAL_WAIT_MS).toBe(20_000);
  });

  it("treats an empty value as unset", () => {
    expect(loadGatewayEnv({ PORTCULLIS_GATEWAY_PORT: "" }).PORTCULLIS_GATEWAY_PORT).toBe(7400);
  });

  it("expands ~ and resolves relative database paths", () => {
    expect(loadSeedEnv({ PORTCULLIS_DB: "~/x.db" }).PORTCULLIS_DB).toBe(path.join(os.homedir(), "x.db"));
    expect(loadSeedEnv({ PORTCULLIS_DB: "rel/x.db" }).PORTCULLIS_DB).toBe(path.resolve("rel/x.db"));
  });

  it("lists every problem at once", () => {
    const bad = () =>
      loadGatewayEnv({
        PORTCULLIS_GATEWAY_PORT: "http",
        PORTCULLIS_UPSTREAM_TIMEOUT_MS: "-5",
        PORTCULLIS_HOST: "bad host; rm -rf",
      });
    expect(bad).toThrow(EnvError);
    expect(bad).toThrow(/PORTCULLIS_GATEWAY_PORT: must be a port number/);
    expect(bad).toThrow(/PORTCULLIS_UPSTREAM_TIMEOUT_MS: must be a positive whole number/);
    expect(bad).toThrow(/PORTCULLIS_HOST: must be a host name/);
  });

  it("refuses a short checkpoint key and a short admin password", () => {
    expect(() => loadCliEnv({ PORTCULLIS_CHECKPOINT_KEY: "short" })).toThrow(/PORTCULLIS_CHECKPOINT_KEY/);
    expect(() => loadSeedEnv({ PORTCULLIS_ADMIN_PASSWORD: "short" })).toThrow(/at least 12/);
    expect(loadSeedEnv({ PORTCULLIS_ADMIN_EMAIL: "Ops@Example.com" }).PORTCULLIS_ADMIN_EMAIL).toBe("ops@example.com");
  });
});
