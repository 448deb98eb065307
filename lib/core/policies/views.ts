export type PolicyVersionView = {
  id: string;
  version: number;
  author: string;
  comment: string | null;
  createdAt: string;
  active: boolean;
};

export type ActivePolicyView = {
  upstreamId: string;
  server: string;
  policyId: string | null;
  version: PolicyVersionView | null;
  yaml: string | null;
};

export type PolicyIssueView = { path: string; line?: number; column?: number; message: string };

/** Result of checking a draft: every problem at once, each with its YAML line:column when known. */
export type PolicyValidationView = {
  ok: boolean;
  errors: PolicyIssueView[];
  warnings: PolicyIssueView[];
};

export type PolicyVersionDetailView = PolicyVersionView & {
  yaml: string;
  server: string;
  upstreamId: string;
};

/** One row of the policies index: a server and the version of its policy in force. */
export type PolicySummaryView = {
  upstreamId: string;
  server: string;
  policyId: string | null;
  versions: number;
  active: PolicyVersionView | null;
  latest: PolicyVersionView | null;
};
