import { describe, expect, it } from "vitest";

import { describeToolPolicy } from "./describe";
import { parsePolicy } from "./parse";
import type { Policy } from "./types";

function policy(yaml: string): Policy {
  const parsed = parsePolicy(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.policy;
}

const STRIPE = policy(`version: "1"
default: deny
hide: ["admin_*"]
tools:
  list_customers:
  create_refund:
    rules:
      - name: big refunds need a human
        action: require_approval
        conditions:
          - { path: args.amount, op: gt, value: 10000 }
        approval_timeout: 30m
      - name: currency
        conditions:
          - { path: args.currency, op: in, value: [usd, eur] }
        on_deny: "Only USD and EUR refunds"
      - name: daily refunds
        state: { counter: refunded, window: day, increment_from: args.amount }
        conditions:
          - { path: state.create_refund.refunded, op: lte, value: 50000 }
        scope: shared
  create_invoice:
    rules:
      - rate_limit: { max: 10, window: 60 }
        validate: { required_args: true }
  delete_*:
    rules:
      - action: deny
        reason: Deletion needs a human
  "*":
    rules:
      - rate_limit: 60/minute
`);

describe("describeToolPolicy", () => {
  it("puts every rule that applies into words, with the entry it comes from", () => {
    const d = describeToolPolicy(STRIPE, "create_refund");
    expect(d.verdict).toBe("approval");
    expect(d.headline).toBe("Some calls wait for a person's approval");
    expect(d.ownEntry).toBe(true);
    expect(d.rules).toEqual([
      {
        entry: "create_refund",
        name: "big refunds need a human",
        action: "require_approval",
        text: "When args.amount is more than 10000, waits for a person's approval (up to 30 min).",
      },
      {
        entry: "create_refund",
        name: "currency",
        action: "evaluate",
        text: 'Allows a call only when args.currency is one of "usd", "eur". Refusal says "Only USD and EUR refunds".',
      },
      {
        entry: "create_refund",
        name: "daily refunds",
        action: "evaluate",
        text: 'Allows a call only when state.create_refund.refunded is at most 50000, counts "refunded" per day (adding args.amount) and shares the count across all agents.',
      },
      {
        entry: "*",
        name: "*#0",
        action: "allow",
        text: "At most 60 calls per minute.",
      },
    ]);
  });

  it("names limits and checks, globs that refuse, hides and the default posture", () => {
    const invoice = describeToolPolicy(STRIPE, "create_invoice");
    expect(invoice.verdict).toBe("limited");
    expect(invoice.rules[0]?.text).toBe(
      "At most 10 calls in any 60 seconds and requires the schema's required arguments.",
    );
    const del = describeToolPolicy(STRIPE, "delete_customer");
    expect(del).toMatchObject({ verdict: "denied", headline: 'Refused by rule "delete_*#0"' });
    expect(del.ownEntry).toBe(false);
    expect(del.rules[0]?.text).toBe('Refuses every call. Refusal says "Deletion needs a human".');
    expect(describeToolPolicy(STRIPE, "admin_keys")).toMatchObject({
      verdict: "hidden",
      hiddenBy: "admin_*",
      headline: 'Hidden by "admin_*": not in tools/list, and refused',
    });
    expect(describeToolPolicy(STRIPE, "get_balance")).toMatchObject({
      verdict: "not_listed",
      headline: "Refused unless a grant allows it: not listed, and the default is deny",
    });
    expect(describeToolPolicy(STRIPE, "list_customers").verdict).toBe("limited");
    const open = policy('version: "1"\n');
    expect(describeToolPolicy(open, "anything")).toMatchObject({
      verdict: "allowed",
      headline: "Allowed: not listed, and the default is allow",
      rules: [],
    });
  });
});
