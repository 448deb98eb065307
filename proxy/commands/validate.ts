import fs from "node:fs";

import { loadPolicy } from "@/lib/core/policy";
import { formatIssues } from "../policy-source";
import { CliError } from "../runtime";

/**
 * Reads and checks a policy file. Prints every error as FILE:line:column on stderr and returns
 * null, or prints the warnings and returns the text. An unreadable file is a usage error (2).
 */
export function checkPolicyFile(file: string): string | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
  const result = loadPolicy(text);
  if (!result.ok) {
    process.stderr.write(`${formatIssues(file, result.errors)}\n`);
    process.stderr.write(
      `${result.errors.length} error${result.errors.length === 1 ? "" : "s"} in ${file}\n`,
    );
    return null;
  }
  for (const w of result.warnings) process.stderr.write(`warning: ${formatIssues(file, [w])}\n`);
  return text;
}

/** `portcullis validate -c FILE`: 0 when valid, 1 with every error as FILE:line:column. */
export function validateCommand(file: string): number {
  if (checkPolicyFile(file) === null) return 1;
  process.stdout.write("Policy is valid.\n");
  return 0;
}
