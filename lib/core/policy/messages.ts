import type { RateLimit } from "./types";

export const hiddenMessage = (tool: string) => `Tool "${tool}" is hidden by policy`;
export const notPermittedMessage = (tool: string) => `Tool "${tool}" is not permitted by policy`;
export const ruleMessage = (rule: string) => `Denied by rule "${rule}"`;

export function rateLimitMessage(limit: RateLimit): string {
  return limit.kind === "calendar"
    ? `Rate limit of ${limit.count} per ${limit.unit} reached. Try again later.`
    : `Rate limit of ${limit.max} per ${limit.windowSeconds} seconds reached. Try again later.`;
}
