import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { FilePolicySource } from "../policy-source";

const ALLOW = `version: "1"\ndefault: allow\n`;
const HIDE_ECHO = `version: "1"\ndefault: allow\nhide: [echo]\n`;
const INVALID = `version: "1"\ndefault: sometimes\n`;

describe("FilePolicySource", () => {
  let dir: string;
  let file: string;
  let stderr: string[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "portcullis-policy-source-"));
    file = path.join(dir, "echo.yaml");
    fs.writeFileSync(file, ALLOW);
    stderr = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
  });

  afterEach(() => {
    vi.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const errors = () => stderr.filter((l) => l.startsWith("portcullis error:"));

  it("applies an edit on the very next read, without waiting for the watcher", () => {
    const source = new FilePolicySource(file, null, "echo");
    try {
      const before = source.current();
      expect(source.current()).toBe(before);
      fs.writeFileSync(file, HIDE_ECHO);
      const after = source.current();
      expect(after.policyVersion).not.toBe(before.policyVersion);
      expect(after.snapshot).not.toBe(before.snapshot);
    } finally {
      source.close();
    }
  });

  it("keeps the policy in force through an invalid edit and a missing file, reporting each once", () => {
    const source = new FilePolicySource(file, null, "echo");
    try {
      const first = source.current();
      fs.writeFileSync(file, INVALID);
      expect(source.current()).toBe(first);
      expect(source.current()).toBe(first);
      expect(errors()).toHaveLength(1);
      expect(errors()[0]).toContain("policy change rejected");

      fs.rmSync(file);
      expect(source.current()).toBe(first);
      expect(source.current()).toBe(first);
      expect(errors()).toHaveLength(2);
      expect(errors()[1]).toContain("cannot read");

      fs.writeFileSync(file, HIDE_ECHO);
      const restored = source.current();
      expect(restored.policyVersion).not.toBe(first.policyVersion);
      expect(errors()).toHaveLength(2);
    } finally {
      source.close();
    }
  });
});
