import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { appendEvents } from "@/lib/services/audit";
import { withTransaction } from "@/lib/services/context";
import { tempDatabase } from "@/lib/testing/proxy";
import { cliInProcess } from "./helpers";

const DAY = 86_400_000;
let t: ReturnType<typeof tempDatabase>;
let n = 0;
const cli = (args: string[], db = t.file) => cliInProcess(args, { PORTCULLIS_DB: db });
const file = (name: string) => path.join(t.dir, name);

function write(count: number, at: number) {
  withTransaction({ db: t.db }, (tx) =>
    appendEvents(
      tx,
      Array.from({ length: count }, () => ({
        id: `evt_cli${++n}`,
        occurredAt: at,
        source: "gateway" as const,
        actorType: "agent" as const,
        actorLabel: "cli-agent",
        action: "tool_call.decide",
        server: "cli-srv",
        tool: "echo",
        decision: "allow",
      })),
    ),
  );
}

beforeAll(() => {
  t = tempDatabase();
  write(300, Date.now() - 60 * DAY);
  write(20, Date.now());
});
afterAll(() => t?.cleanup());

describe("audit integrity from the command line", () => {
  it("signs, exports for a witness, archives, and verifies with only the public key", async () => {
    const cp = await cli(["audit", "checkpoint"]);
    expect(cp.code).toBe(0);
    expect(JSON.parse(cp.stdout)).toMatchObject({ alg: "Ed25519", seq: 320 });

    const pub = await cli(["audit", "public-key"]);
    fs.writeFileSync(file("witness.pem"), pub.stdout);
    expect((await cli(["audit", "checkpoints", "-o", file("witness.jsonl")])).code).toBe(0);
    expect(fs.readFileSync(file("witness.jsonl"), "utf8").trim().split("\n")).toHaveLength(1);

    expect((await cli(["audit", "retain"])).code).toBe(2); // no age given and none configured
    const retained = await cli(["audit", "retain", "--days", "30"]);
    expect(retained.code).toBe(0);
    const archive = path.join(t.dir, "audit-archive", "audit-archive-1-300.jsonl.gz");
    expect(retained.stdout).toContain(`archived rows 1–300 (300 rows, `);
    expect(retained.stdout).toContain(archive);
    expect(fs.statSync(archive).mode & 0o777).toBe(0o600);

    const verified = await cli(["audit", "verify"]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(
      /^chain intact: 21 rows, from the archive boundary at 300, last signed checkpoint 320/,
    );
    expect(verified.stdout).toContain(
      `archives: 1 of 1 files in ${path.dirname(archive)} match their records`,
    );

    const archived = await cli([
      "audit",
      "verify",
      "--archive",
      archive,
      "--public-key",
      file("witness.pem"),
    ]);
    expect(archived.code).toBe(0);
    expect(archived.stdout).toContain(
      `archive ${archive} intact: rows 1–300, signed checkpoint at 300`,
    );
    expect(archived.stdout).toContain("the database continues from row 300");

    // An outsider with a copy of the database, the public key and the witness's checkpoints.
    const away = path.join(t.dir, "elsewhere");
    fs.mkdirSync(away);
    t.db.$client.pragma("wal_checkpoint(TRUNCATE)");
    fs.copyFileSync(t.file, path.join(away, "copy.db"));
    const copy = path.join(away, "copy.db");
    const outsider = await cli(
      [
        "audit",
        "verify",
        "--public-key",
        file("witness.pem"),
        "--checkpoints",
        file("witness.jsonl"),
      ],
      copy,
    );
    expect(outsider.code).toBe(0);
    expect(outsider.stdout).toContain("consistent with checkpoint 320");
    expect(outsider.stdout).toContain(
      `note: the archive of rows 1–300 (audit-archive-1-300.jsonl.gz) is not in ${path.join(away, "audit-archive")}`,
    );
    // Beside the copy, an archive file that is not the one recorded fails the verification.
    fs.mkdirSync(path.join(away, "audit-archive"));
    const altered = fs.readFileSync(archive);
    altered[altered.length - 5] = (altered.at(-5) ?? 0) ^ 0xff;
    fs.writeFileSync(path.join(away, "audit-archive", path.basename(archive)), altered);
    const tampered = await cli(["audit", "verify", "--public-key", file("witness.pem")], copy);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(
      /^archive broken: the archive file audit-archive-1-300\.jsonl\.gz \(rows 1–300\) is not the one recorded/,
    );
    expect(fs.existsSync(path.join(away, "audit-signing.key"))).toBe(false);
    const keyless = await cli(["audit", "verify"], copy);
    expect(keyless.code).toBe(1);
    expect(keyless.stdout).toContain("continuity not proven");
  });

  it("rotates the key: old checkpoints still verify with every public key, not with the old one alone", async () => {
    const oldPem = file("witness.pem");
    const rotated = await cli(["audit", "rotate-key"]);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(
      /signing key [0-9a-f]{16} retired; checkpoints are now signed by [0-9a-f]{16}/,
    );
    const onlyOld = await cli(["audit", "verify", "--public-key", oldPem]);
    expect(onlyOld.code).toBe(1);
    expect(onlyOld.stdout).toContain("which is not a trusted key");
    const all = await cli(["audit", "public-key"]);
    expect(all.stdout.match(/BEGIN PUBLIC KEY/g)).toHaveLength(2);
    fs.writeFileSync(file("all.pem"), all.stdout);
    const ok = await cli(["audit", "verify", "--public-key", file("all.pem")]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^chain intact/);
  });
});
