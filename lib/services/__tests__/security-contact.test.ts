import { randomBytes } from "node:crypto";

import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { contactFormTokens, contactMessages } from "@/db/schema";
import { csvCell, toCsv } from "@/lib/core/contact/csv";
import type { ServiceContext } from "@/lib/services/context";
import {
  exportContactMessagesCsv,
  issueFormToken,
  MAX_FORM_AGE_MS,
  receiveContactMessage,
} from "@/lib/services/contact";
import { createTestDb, testContext } from "@/lib/testing";

const KEY = randomBytes(32);
let db: Db;
let clock = Date.parse("2026-11-30T12:00:00Z");
const ctx = (ip = "203.0.113.7"): ServiceContext => ({
  ...testContext(db, { type: "anonymous" }, () => new Date(clock)),
  remoteIp: ip,
});
const form = (formToken: string, name = "Ada Lovelace") => ({
  name,
  email: "ada@analytical.example",
  message: "Can we talk about approvals for payouts?",
  formToken,
});
const send = (formToken: string, ip?: string) =>
  receiveContactMessage(ctx(ip), form(formToken), { formKey: KEY });

beforeEach(() => {
  db = createTestDb();
  clock = Date.parse("2026-11-30T12:00:00Z");
});

describe("contact CSV export defuses formulas", () => {
  it.each(["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "|cmd", "%PATH%", "|calc!A0"])(
    "prefixes %j with an apostrophe",
    (value) => {
      expect(csvCell(value).replace(/^"|"$/g, "").startsWith("'")).toBe(true);
    },
  );

  it("leaves ordinary text alone and quotes per RFC 4180", () => {
    expect(csvCell("Ada, Countess")).toBe('"Ada, Countess"');
    expect(csvCell("100% sure")).toBe("100% sure");
    expect(toCsv(["a"], [["|x"]])).toBe("a\r\n'|x\r\n");
  });

  it("the inbox export escapes pipe and percent cells from a real submission", () => {
    const token = issueFormToken(KEY, new Date(clock - 10_000));
    receiveContactMessage(
      ctx(),
      { ...form(token, "|calc"), company: "%USERPROFILE%" },
      { formKey: KEY },
    );
    const { csv } = exportContactMessagesCsv(testContext(db), {});
    expect(csv).toContain(",'|calc,");
    expect(csv).toContain(",'%USERPROFILE%,");
  });
});

describe("a contact-form token is used once", () => {
  it("stores the first message and refuses the same token again, even from another address", () => {
    const token = issueFormToken(KEY, new Date(clock - 10_000));
    expect(send(token).status).toBe("stored");
    expect(() => send(token, "198.51.100.1")).toThrow(/already sent/);
    expect(db.select().from(contactMessages).all()).toHaveLength(1);
  });

  it("issues a different token every time, even in the same millisecond", () => {
    const now = new Date(clock);
    expect(issueFormToken(KEY, now)).not.toBe(issueFormToken(KEY, now));
  });

  it("a refused send (rate limit) does not use the token up", () => {
    const limit = { max: 1, windowMs: 60_000 };
    const first = issueFormToken(KEY, new Date(clock - 10_000));
    receiveContactMessage(ctx(), form(first), { formKey: KEY, limit });
    const second = issueFormToken(KEY, new Date(clock - 10_000));
    expect(() => receiveContactMessage(ctx(), form(second), { formKey: KEY, limit })).toThrow(
      /Too many messages/,
    );
    clock += 61_000;
    expect(receiveContactMessage(ctx(), form(second), { formKey: KEY, limit }).status).toBe(
      "stored",
    );
  });

  it("forgets used tokens once they would have expired anyway", () => {
    send(issueFormToken(KEY, new Date(clock - 10_000)));
    expect(db.select().from(contactFormTokens).all()).toHaveLength(1);
    clock += MAX_FORM_AGE_MS + 2 * 60_000;
    send(issueFormToken(KEY, new Date(clock - 10_000)));
    expect(db.select().from(contactFormTokens).all()).toHaveLength(1);
  });

  it("refuses a token whose nonce was swapped (the signature covers it)", () => {
    const token = issueFormToken(KEY, new Date(clock - 10_000));
    const [at, , mac] = token.split(".");
    const forged = `${at}.${randomBytes(16).toString("base64url")}.${mac}`;
    expect(() => send(forged)).toThrow(/expired/);
  });
});
