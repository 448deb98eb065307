export type AgentKeyView = {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
};

export type AgentView = {
  id: string;
  name: string;
  owner: string | null;
  description: string | null;
  disabled: boolean;
  createdAt: string;
  keys: AgentKeyView[];
};
