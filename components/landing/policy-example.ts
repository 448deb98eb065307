/** The two policy files shown on the landing page. A unit test parses and evaluates them. */
export const GITHUB_POLICY = `version: "1"
description: GitHub for the triage agents
default: deny                     # anything not listed is refused
hide: [delete_repository]         # not even offered in tools/list
audit:
  arguments: redacted
tools:
  get_file_contents:
    rules:
      - action: allow
  create_issue:
    rules:
      - name: issue flood guard
        rate_limit: 5/hour
        on_deny: "Five new issues an hour per agent"
  push_files:
    rules:
      - name: protected branches
        conditions:
          - path: args.branch
            op: not_in
            value: [main, release]
        on_deny: "Protected branches take pull requests only"
  delete_*:
    rules:
      - action: deny
        reason: "Deletion needs a human"
`;

export const STRIPE_POLICY = `version: "1"
description: Stripe for the support agent
default: deny
tools:
  retrieve_charge:
    rules:
      - action: allow
  create_refund:
    rules:
      - name: large refunds
        action: require_approval
        conditions:
          - { path: args.amount, op: gt, value: 10000 }
        approval_timeout: 30m
      - name: refund loop guard
        rate_limit: { max: 3, window: 600 }
        on_deny: "Three refunds per 10 minutes; a person will review"
  delete_*:
    rules:
      - action: deny
        reason: "Deletion needs a human"
`;

export type Outcome = "allow" | "deny" | "hold";

/**
 * One call as an agent sends it. `priorCalls` is how many identical-tool calls the same agent
 * made just before, inside the rule's window (what makes a flood or a loop).
 */
export type ComparisonRow = {
  server: "github" | "stripe";
  tool: string;
  arguments: Record<string, unknown>;
  story: string;
  priorCalls: number;
  outcome: Outcome;
  /** The rule that decides, as the audit log names it. */
  rule: string | null;
  /** Deny rows: the exact text the agent receives after "[POLICY DENIED]". Others: a short note. */
  explanation: string;
};

export const COMPARISON: readonly ComparisonRow[] = [
  {
    server: "github",
    tool: "get_file_contents",
    arguments: { owner: "acme", repo: "billing-api", path: "README.md" },
    story: "Reads a file",
    priorCalls: 0,
    outcome: "allow",
    rule: "get_file_contents#0",
    explanation: "Listed with action: allow",
  },
  {
    server: "github",
    tool: "create_issue",
    arguments: { owner: "acme", repo: "billing-api", title: "Flaky test: test_refund_webhook" },
    story: "Files an issue",
    priorCalls: 0,
    outcome: "allow",
    rule: "issue flood guard",
    explanation: "1 of 5 this hour",
  },
  {
    server: "github",
    tool: "create_issue",
    arguments: { owner: "acme", repo: "billing-api", title: "Flaky test: test_refund_webhook (6)" },
    story: "Sixth issue in an hour",
    priorCalls: 5,
    outcome: "deny",
    rule: "issue flood guard",
    explanation: "Five new issues an hour per agent",
  },
  {
    server: "github",
    tool: "push_files",
    arguments: { owner: "acme", repo: "billing-api", branch: "main", message: "hotfix" },
    story: "Pushes straight to main",
    priorCalls: 0,
    outcome: "deny",
    rule: "protected branches",
    explanation: "Protected branches take pull requests only",
  },
  {
    server: "github",
    tool: "delete_repository",
    arguments: { owner: "acme", repo: "billing-api" },
    story: "Deletes the repository",
    priorCalls: 0,
    outcome: "deny",
    rule: null,
    explanation: 'Tool "delete_repository" is hidden by policy',
  },
  {
    server: "stripe",
    tool: "create_refund",
    arguments: { charge: "ch_3PqK2L", amount: 2500 },
    story: "Refunds $25.00",
    priorCalls: 0,
    outcome: "allow",
    rule: "refund loop guard",
    explanation: "Under the approval threshold, 1 of 3 in 10 minutes",
  },
  {
    server: "stripe",
    tool: "create_refund",
    arguments: { charge: "ch_3PqK2L", amount: 2500 },
    story: "Same refund, fourth time in 10 minutes",
    priorCalls: 3,
    outcome: "deny",
    rule: "refund loop guard",
    explanation: "Three refunds per 10 minutes; a person will review",
  },
  {
    server: "stripe",
    tool: "create_refund",
    arguments: { charge: "ch_9XbT7Q", amount: 480000 },
    story: "Refunds $4,800.00",
    priorCalls: 0,
    outcome: "hold",
    rule: "large refunds",
    explanation: "Held for a human: over $100.00, approval expires in 30 min",
  },
  {
    server: "stripe",
    tool: "create_payout",
    arguments: { amount: 1500000, destination: "ba_1Nv0" },
    story: "Pays out $15,000.00",
    priorCalls: 0,
    outcome: "deny",
    rule: null,
    explanation: 'Tool "create_payout" is not permitted by policy',
  },
];
