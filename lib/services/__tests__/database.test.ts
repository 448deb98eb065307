import { describe, expect, it } from "vitest";

import { createTestDb } from "@/lib/testing";
import { closeDatabase, pingDatabase } from "../database";

describe("pingDatabase and closeDatabase", () => {
  it("answers while the handle is open and throws once it is closed", () => {
    const db = createTestDb();
    expect(() => pingDatabase(db)).not.toThrow();
    closeDatabase(db);
    expect(() => pingDatabase(db)).toThrow(/not open/);
    expect(() => closeDatabase(db)).not.toThrow();
  });
});
