import { randomBytes } from "node:crypto";

import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { auditEvents, contactMessages, counterEvents } from "@/db/schema";
import { AppError } from "@/lib/core/errors";
import { verifyChain } from "@/lib/services/audit";
import type { ServiceContext } from "@/lib/services/context";
import { createTestDb, testContext } from "@/lib/testing";
import {
  checkFormToken,
  issueFormToken,
  type Mailer,
  type NotificationMail,
  notifyContactMessage,
  receiveContactMessage,
} from "..";

const KEY = randomBytes(32);
const T0 = Date.parse("2026-03-02T10:00:00Z");

let db: Db;
let clock: number;
beforeEach(() => {
  db = createTestDb();
  clock = T0;
});

function publicCtx(ip = "203.0.113.7"): ServiceContext {
  return {
    ...testContext(db, { type: "anonymous" }, () => new Date(clock)),
    remoteIp: ip,
    userAgent: "vitest",
  };
}

/** A token issued `ageMs` before the current clock. */
const token = (ageMs = 10_000) => issueFormToken(KEY, new Date(clock - ageMs));

const valid = (over: Record<string, unknown> = {}) => ({
  name: "Ada Lovelace",
  email: "ada@analytical.example",
  company: "Analytical Engines",
  message: "We run forty agents against GitHub and Stripe. Can we talk?",
  formToken: token(),
  ...over,
});

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected an AppError");
}

const storedCount = () => db.select().from(contactMessages).all().length;

describe("receiveContactMessage", () => {
  it("stores a valid message, trimmed, with ip and user agent", () => {
    const result = receiveContactMessage(publicCtx(), valid({ name: "  Ada Lovelace  " }), {
      formKey: KEY,
    });
    expect(result.status).toBe("stored");
    const rows = db.select().from(contactMessages).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      name: "Ada Lovelace",
      email: "ada@analytical.example",
      company: "Analytical Engines",
      remoteIp: "203.0.113.7",
      userAgent: "vitest",
      readAt: null,
      archivedAt: null,
    });
    expect(rows[0]?.createdAt.getTime()).toBe(T0);
  });

  it("reports every invalid field at once, keyed by field", () => {
    const err = errorOf(() =>
      receiveContactMessage(
        publicCtx(),
        valid({ name: "", email: "not-an-address", message: "hi" }),
        { formKey: KEY },
      ),
    );
    expect(err.code).toBe("VALIDATION");
    expect(err.details).toEqual({
      fields: {
        name: "Name is required",
        email: "Enter a valid email address",
        message: "Message must be at least 10 characters",
      },
    });
    expect(storedCount()).toBe(0);
  });

  it("caps field lengths", () => {
    const err = errorOf(() =>
      receiveContactMessage(
        publicCtx(),
        valid({ name: "x".repeat(121), message: "y".repeat(5001) }),
        { formKey: KEY },
      ),
    );
    expect(err.details).toEqual({
      fields: {
        name: "Name must be at most 120 characters",
        message: "Message must be at most 5000 characters",
      },
    });
  });

  it.each([
    ["name", "Ada\r\nBcc: victim@example.com"],
    ["name", "Ada\nX-Injected: 1"],
    ["email", "ada@example.com\r\nBcc: victim@example.com"],
    ["company", "ACME\rSubject: spam"],
    ["company", "ACME\u2028Bcc: x"],
  ])("refuses line breaks in the header-like field %s", (field, value) => {
    const err = errorOf(() =>
      receiveContactMessage(publicCtx(), valid({ [field]: value }), { formKey: KEY }),
    );
    expect(err.code).toBe("VALIDATION");
    expect((err.details as { fields: Record<string, string> }).fields[field]).toMatch(
      /must not contain line breaks/,
    );
    expect(storedCount()).toBe(0);
  });

  it("keeps line breaks inside the message body", () => {
    receiveContactMessage(publicCtx(), valid({ message: "line one\r\nline two\rline three" }), {
      formKey: KEY,
    });
    expect(db.select().from(contactMessages).get()?.message).toBe("line one\nline two\nline three");
  });

  it("refuses unknown keys", () => {
    const err = errorOf(() =>
      receiveContactMessage(publicCtx(), valid({ isAdmin: true }), { formKey: KEY }),
    );
    expect(err.code).toBe("VALIDATION");
  });

  it("drops a filled honeypot silently: no message, no counter, no audit", () => {
    const result = receiveContactMessage(publicCtx(), valid({ website: "http://spam.example" }), {
      formKey: KEY,
    });
    expect(result).toEqual({ status: "dropped", reason: "honeypot" });
    expect(storedCount()).toBe(0);
    expect(db.select().from(counterEvents).all()).toHaveLength(0);
    expect(db.select().from(auditEvents).all()).toHaveLength(0);
  });

  it("drops the honeypot even when the other fields are garbage", () => {
    const result = receiveContactMessage(
      publicCtx(),
      { website: "x", email: 42 },
      { formKey: KEY },
    );
    expect(result.status).toBe("dropped");
  });

  it("keeps a form posted faster than a person types, flagged as suspected spam", () => {
    const result = receiveContactMessage(publicCtx(), valid({ formToken: token(500) }), {
      formKey: KEY,
    });
    expect(result.status).toBe("stored");
    const rows = db.select().from(contactMessages).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.spamReason).toBe("too_fast");
    expect(rows[0]?.message).toBe(valid().message);
    const audit = db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "contact.receive"))
      .all();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]?.detail ?? "{}")).toMatchObject({ suspectedSpam: "too_fast" });
    // A flagged message still counts against the sender's limit.
    expect(db.select().from(counterEvents).all()).toHaveLength(1);
  });

  it("does not flag a form that was open long enough", () => {
    receiveContactMessage(publicCtx(), valid(), { formKey: KEY });
    expect(db.select().from(contactMessages).all()[0]?.spamReason).toBeNull();
  });

  it("refuses a forged, foreign-key or expired token with a reload hint", () => {
    const forged = `${clock - 10_000}.${"A".repeat(43)}`;
    const foreign = issueFormToken(randomBytes(32), new Date(clock - 10_000));
    const expired = token(25 * 60 * 60 * 1000);
    for (const formToken of [forged, foreign, expired, "", "garbage"]) {
      const err = errorOf(() =>
        receiveContactMessage(publicCtx(), valid({ formToken }), { formKey: KEY }),
      );
      expect(err.code).toBe("VALIDATION");
      expect(err.message).toMatch(/Reload the page/);
    }
    expect(storedCount()).toBe(0);
  });

  it("admits 5 per IP in 10 minutes, refuses the 6th with 429 details, and frees a slot as the window rolls", () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = receiveContactMessage(publicCtx(), valid({ formToken: token() }), { formKey: KEY });
      if (r.status === "stored") ids.push(r.message.id);
      clock += 60_000;
    }
    expect(ids).toHaveLength(5);

    // Five admitted at T0, T0+1m … T0+4m; now T0+5m.
    const err = errorOf(() =>
      receiveContactMessage(publicCtx(), valid({ formToken: token() }), { formKey: KEY }),
    );
    expect(err.code).toBe("RATE_LIMITED");
    expect(err.message).toMatch(/Too many messages/);
    expect(err.details).toEqual({ retryAfterSeconds: 300 });
    expect(storedCount()).toBe(5);

    // Another address is unaffected.
    expect(
      receiveContactMessage(publicCtx("198.51.100.9"), valid({ formToken: token() }), {
        formKey: KEY,
      }).status,
    ).toBe("stored");

    // One millisecond before the first admission leaves the window: still full.
    clock = T0 + 10 * 60_000 - 1;
    expect(
      errorOf(() =>
        receiveContactMessage(publicCtx(), valid({ formToken: token() }), { formKey: KEY }),
      ).code,
    ).toBe("RATE_LIMITED");
    clock = T0 + 10 * 60_000;
    expect(
      receiveContactMessage(publicCtx(), valid({ formToken: token() }), { formKey: KEY }).status,
    ).toBe("stored");
    expect(storedCount()).toBe(7);
  });

  it("does not charge the limit for invalid or dropped submissions", () => {
    for (let i = 0; i < 10; i++) {
      errorOf(() => receiveContactMessage(publicCtx(), valid({ email: "bad" }), { formKey: KEY }));
      receiveContactMessage(publicCtx(), valid({ website: "bot" }), { formKey: KEY });
    }
    expect(db.select().from(counterEvents).all()).toHaveLength(0);
    expect(receiveContactMessage(publicCtx(), valid(), { formKey: KEY }).status).toBe("stored");
  });

  it("prunes expired contact counters but leaves gateway counters alone", () => {
    db.insert(counterEvents)
      .values({ key: "rate:github:create_issue", at: T0 - 3_600_000, id: 1, amount: "1" })
      .run();
    receiveContactMessage(publicCtx("192.0.2.1"), valid(), { formKey: KEY });
    clock = T0 + 11 * 60_000;
    receiveContactMessage(publicCtx("192.0.2.2"), valid({ formToken: token() }), { formKey: KEY });
    const keys = db
      .select({ key: counterEvents.key })
      .from(counterEvents)
      .all()
      .map((r) => r.key);
    expect(keys.sort()).toEqual(["contact:192.0.2.2", "rate:github:create_issue"]);
  });

  it("audits contact.receive as anonymous without the message text, in an intact chain", () => {
    const r = receiveContactMessage(publicCtx(), valid({ message: "Secret plans: 0123456789" }), {
      formKey: KEY,
    });
    if (r.status !== "stored") throw new Error("not stored");
    const rows = db.select().from(auditEvents).all();
    expect(rows).toHaveLength(1);
    const row = rows[0];
    if (!row) throw new Error("no audit row");
    expect(row).toMatchObject({
      action: "contact.receive",
      actorType: "anonymous",
      actorId: null,
      targetType: "contact_message",
      targetId: r.message.id,
      remoteIp: "203.0.113.7",
    });
    const detail = JSON.parse(row.detail ?? "{}");
    expect(detail).toMatchObject({
      emailDomain: "analytical.example",
      nameLength: 12,
      companyLength: 18,
      messageLength: 24,
      messageBytes: 24,
    });
    const serialized = JSON.stringify(row);
    expect(serialized).not.toContain("Secret plans");
    expect(serialized).not.toContain("Ada");
    expect(serialized).not.toContain("ada@");
    expect(verifyChain(db).ok).toBe(true);
  });
});

describe("form tokens", () => {
  it("classify age and authenticity", () => {
    const now = new Date(T0);
    expect(checkFormToken(KEY, issueFormToken(KEY, new Date(T0 - 2_999)), now)).toBe("too_fast");
    expect(checkFormToken(KEY, issueFormToken(KEY, new Date(T0 - 3_000)), now)).toBe("ok");
    expect(checkFormToken(KEY, issueFormToken(KEY, new Date(T0 + 5 * 60_000)), now)).toBe(
      "invalid",
    );
    const good = issueFormToken(KEY, new Date(T0 - 10_000));
    const tampered = `${T0 - 20_000}${good.slice(good.indexOf("."))}`;
    expect(checkFormToken(KEY, tampered, now)).toBe("invalid");
  });
});

describe("notifyContactMessage", () => {
  const settings = { to: "sales@portcullis.example", from: "noreply@portcullis.example" };

  function stored() {
    const r = receiveContactMessage(publicCtx(), valid(), { formKey: KEY });
    if (r.status !== "stored") throw new Error("not stored");
    return r.message;
  }

  it("records notified_at after a successful send, with only the validated address in a header", async () => {
    const sent: NotificationMail[] = [];
    const mailer: Mailer = { send: async (mail) => void sent.push(mail) };
    const message = stored();
    expect(
      await notifyContactMessage(db, message, mailer, settings, () => new Date(T0 + 1000)),
    ).toBe("sent");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      replyTo: "ada@analytical.example",
      to: settings.to,
      from: settings.from,
    });
    expect(sent[0]?.subject).toBe(`New contact message ${message.id}`);
    const row = db.select().from(contactMessages).where(eq(contactMessages.id, message.id)).get();
    expect(row?.notifiedAt?.getTime()).toBe(T0 + 1000);
    expect(row?.notifyError).toBeNull();
  });

  it("keeps the message and records the error when the relay fails", async () => {
    const mailer: Mailer = {
      send: async () => {
        throw new Error("connect ECONNREFUSED 127.0.0.1:2525");
      },
    };
    const message = stored();
    expect(await notifyContactMessage(db, message, mailer, settings)).toBe("failed");
    const row = db.select().from(contactMessages).where(eq(contactMessages.id, message.id)).get();
    expect(row).toMatchObject({ id: message.id, message: message.message, notifiedAt: null });
    expect(row?.notifyError).toBe("Error: connect ECONNREFUSED 127.0.0.1:2525");
  });

  it("survives a relay that is not listening at all (real SMTP transport)", async () => {
    const { createSmtpMailer } = await import("..");
    const message = stored();
    const result = await notifyContactMessage(
      db,
      message,
      createSmtpMailer("smtp://127.0.0.1:1"),
      settings,
    );
    expect(result).toBe("failed");
    const row = db.select().from(contactMessages).where(eq(contactMessages.id, message.id)).get();
    expect(row?.notifyError).toMatch(/ECONNREFUSED|connect/i);
    expect(storedCount()).toBe(1);
  });
});
