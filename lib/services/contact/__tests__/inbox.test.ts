import { beforeEach, describe, expect, it } from "vitest";

import type { Db } from "@/db/client";
import { auditEvents, contactMessages } from "@/db/schema";
import { csvCell } from "@/lib/core/contact/csv";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import type { Actor } from "@/lib/services/context";
import { createTestDb, testContext } from "@/lib/testing";
import {
  exportContactMessagesCsv,
  getContactMessage,
  listContactMessages,
  updateContactMessage,
} from "..";

const T0 = Date.parse("2026-03-02T10:00:00Z");
const viewer: Actor = { type: "user", userId: "usr_v", label: "viewer@test", role: "viewer" };
const editor: Actor = { type: "user", userId: "usr_e", label: "editor@test", role: "editor" };

let db: Db;
beforeEach(() => {
  db = createTestDb();
});

function seed(
  n: number,
  over: (i: number) => Partial<typeof contactMessages.$inferInsert> = () => ({}),
) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = newId("contact");
    ids.push(id);
    db.insert(contactMessages)
      .values({
        id,
        name: `Person ${i}`,
        email: `p${i}@example.com`,
        company: null,
        message: `Message number ${i}`,
        createdAt: new Date(T0 + i * 1000),
        ...over(i),
      })
      .run();
  }
  return ids;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return "none";
}

describe("listContactMessages", () => {
  it("pages newest first with a stable cursor", () => {
    seed(7);
    const ctx = testContext(db, viewer);
    const first = listContactMessages(ctx, { limit: 3 });
    expect(first.items.map((m) => m.name)).toEqual(["Person 6", "Person 5", "Person 4"]);
    const second = listContactMessages(ctx, { limit: 3, before: first.nextCursor ?? undefined });
    expect(second.items.map((m) => m.name)).toEqual(["Person 3", "Person 2", "Person 1"]);
    const third = listContactMessages(ctx, { limit: 3, before: second.nextCursor ?? undefined });
    expect(third.items.map((m) => m.name)).toEqual(["Person 0"]);
    expect(third.nextCursor).toBeNull();
    expect(first.counts).toEqual({ all: 7, inbox: 7, unread: 7, spam: 0, archived: 0 });
  });

  it("searches name, email, company and message, treating % and _ literally", () => {
    seed(1, () => ({
      name: "Grace Hopper",
      email: "grace@navy.example",
      company: "COBOL Inc",
      message: "100% sure",
    }));
    seed(1, () => ({
      name: "Alan",
      email: "alan@example.com",
      company: null,
      message: "nothing_here",
    }));
    const ctx = testContext(db, viewer);
    const names = (q: string) =>
      listContactMessages(ctx, { q, filter: "all" }).items.map((m) => m.name);
    expect(names("hopper")).toEqual(["Grace Hopper"]);
    expect(names("NAVY.example")).toEqual(["Grace Hopper"]);
    expect(names("cobol")).toEqual(["Grace Hopper"]);
    expect(names("100%")).toEqual(["Grace Hopper"]);
    expect(names("%")).toEqual(["Grace Hopper"]);
    expect(names("g__")).toEqual([]);
    expect(names("nothing_")).toEqual(["Alan"]);
    expect(names("' OR 1=1 --")).toEqual([]);
  });

  it("filters inbox, unread, suspected spam and archived", () => {
    seed(4, (i) => ({
      readAt: i === 0 ? new Date(T0) : null,
      archivedAt: i === 2 ? new Date(T0) : null,
      spamReason: i === 3 || i === 2 ? "too_fast" : null,
    }));
    const ctx = testContext(db, viewer);
    // Suspected spam stays in the inbox (badged), and has a filter of its own.
    expect(listContactMessages(ctx, { filter: "inbox" }).items.map((m) => m.name)).toEqual([
      "Person 3",
      "Person 1",
      "Person 0",
    ]);
    expect(listContactMessages(ctx, { filter: "unread" }).items.map((m) => m.name)).toEqual([
      "Person 3",
      "Person 1",
    ]);
    // An archived suspect (Person 2) is only under Archived.
    const spam = listContactMessages(ctx, { filter: "spam" }).items;
    expect(spam.map((m) => [m.name, m.spamReason])).toEqual([["Person 3", "too_fast"]]);
    expect(listContactMessages(ctx, { filter: "archived" }).items.map((m) => m.name)).toEqual([
      "Person 2",
    ]);
    expect(listContactMessages(ctx, {}).counts).toEqual({
      all: 4,
      inbox: 3,
      unread: 2,
      spam: 1,
      archived: 1,
    });
  });

  it("needs a signed-in user", () => {
    expect(code(() => listContactMessages(testContext(db, { type: "anonymous" }), {}))).toBe(
      "UNAUTHENTICATED",
    );
    expect(code(() => getContactMessage(testContext(db, { type: "anonymous" }), "msg_abc"))).toBe(
      "UNAUTHENTICATED",
    );
    expect(code(() => getContactMessage(testContext(db, viewer), "msg_missing"))).toBe("NOT_FOUND");
  });
});

describe("updateContactMessage", () => {
  it("lets editors mark read and archive, audits each change with before/after", () => {
    const [id] = seed(1) as [string];
    const ctx = testContext(db, editor, () => new Date(T0 + 5000));
    const read = updateContactMessage(ctx, { id, read: true });
    expect(read.readAt?.getTime()).toBe(T0 + 5000);
    const archived = updateContactMessage(ctx, { id, archived: true });
    expect(archived.archivedAt?.getTime()).toBe(T0 + 5000);
    const restored = updateContactMessage(ctx, { id, archived: false, read: false });
    expect(restored).toMatchObject({ readAt: null, archivedAt: null });

    const audit = db.select().from(auditEvents).all();
    expect(audit.map((a) => [a.action, a.actorId, a.targetId])).toEqual([
      ["contact.update", "usr_e", id],
      ["contact.update", "usr_e", id],
      ["contact.update", "usr_e", id],
    ]);
    expect(JSON.parse(audit[0]?.detail ?? "{}")).toMatchObject({
      before: { readAt: null, archivedAt: null },
      after: { readAt: new Date(T0 + 5000).toISOString(), archivedAt: null },
      changedFields: ["readAt"],
    });
  });

  it("writes nothing for a change that changes nothing", () => {
    const [id] = seed(1, () => ({ readAt: new Date(T0) })) as [string];
    const row = updateContactMessage(testContext(db, editor), { id, read: true });
    expect(row.readAt?.getTime()).toBe(T0);
    expect(db.select().from(auditEvents).all()).toHaveLength(0);
  });

  it("refuses viewers and anonymous callers before touching anything", () => {
    const [id] = seed(1) as [string];
    expect(code(() => updateContactMessage(testContext(db, viewer), { id, read: true }))).toBe(
      "FORBIDDEN",
    );
    expect(
      code(() => updateContactMessage(testContext(db, { type: "anonymous" }), { id, read: true })),
    ).toBe("UNAUTHENTICATED");
    expect(db.select().from(contactMessages).get()?.readAt).toBeNull();
  });

  it("rejects empty and unknown changes", () => {
    const [id] = seed(1) as [string];
    expect(() => updateContactMessage(testContext(db, editor), { id })).toThrow(
      /Nothing to change/,
    );
    expect(() =>
      updateContactMessage(testContext(db, editor), { id, read: true, name: "x" } as never),
    ).toThrow();
    expect(
      code(() => updateContactMessage(testContext(db, editor), { id: "msg_nope", read: true })),
    ).toBe("NOT_FOUND");
  });
});

describe("CSV export", () => {
  it.each([
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ["+1+1", "'+1+1"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tcmd", "'\tcmd"],
    ["\rcmd", '"\'\rcmd"'],
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ["line\nbreak", '"line\nbreak"'],
  ])("defuses %j", (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it("exports the filtered messages for any signed-in role, formula cells defused", () => {
    seed(1, () => ({
      name: "=cmd|' /C calc'!A0",
      email: "x@example.com",
      company: "@corp",
      message: "-1\nhello",
    }));
    seed(1, () => ({ name: "Archived", archivedAt: new Date(T0) }));
    const { csv, rows } = exportContactMessagesCsv(testContext(db, viewer), { filter: "inbox" });
    expect(rows).toBe(1);
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe("id,received_at,name,email,company,message,read_at,archived_at");
    expect(lines[1]).toContain(`,'=cmd|' /C calc'!A0,`);
    expect(lines[1]).toContain(",'@corp,");
    expect(lines[1]).toContain(`"'-1\nhello"`);
    expect(csv).not.toContain("Archived");
    expect(code(() => exportContactMessagesCsv(testContext(db, { type: "anonymous" }), {}))).toBe(
      "UNAUTHENTICATED",
    );
  });
});
