import { createTestDb, testContext } from "@/lib/testing";
import { createUpstream } from "../../upstreams";

export const GOOD = `version: "1"
default: allow
tools:
  echo:
    rules:
      - name: echo cap
        rate_limit: 5/minute
`;

export const BAD = `version: "2"
default: maybe
tools:
  echo:
    rules:
      - action: deny
        conditions: [{ path: args.x, op: eq, value: 1 }]
`;

/** A fresh database with one stdio upstream named "everything". */
export function setup() {
  const db = createTestDb();
  const upstream = createUpstream(testContext(db), {
    name: "everything",
    transport: "stdio",
    command: "node",
    args: ["s.js"],
  });
  return { db, upstream };
}
