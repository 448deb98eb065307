/** Secret-bearing values (env, headers) never leave the server: only their names do. */
export type UpstreamView = {
  id: string;
  name: string;
  description: string | null;
  transport: "stdio" | "http";
  command: string | null;
  args: string[];
  envNames: string[];
  url: string | null;
  headerNames: string[];
  timeoutMs: number;
  /** `shared`: one upstream connection for every client session; `session`: one per session. */
  isolation: "shared" | "session";
  enabled: boolean;
  activePolicyVersion: number | null;
  createdAt: string;
};

/** Tool counts of one server's inventory, for the servers list. */
export type UpstreamInventoryView = {
  upstreamId: string;
  total: number;
  byLevel: { low: number; medium: number; high: number; critical: number };
  quarantined: number;
  new: number;
  lastSeenAt: string | null;
};
