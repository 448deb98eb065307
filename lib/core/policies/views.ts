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
