export type GrantView = {
  id: string;
  agentId: string;
  agentName: string | null;
  upstreamId: string;
  server: string | null;
  toolPattern: string;
  effect: "allow" | "deny";
  rateLimit: { max: number; windowSeconds: number } | null;
  expiresAt: string | null;
  reason: string | null;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
};
