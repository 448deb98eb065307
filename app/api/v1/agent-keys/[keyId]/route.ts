import { revokeAgentKey, toAgentKeyView } from "@/lib/services/agents";
import { route } from "@/lib/server/route";

export const DELETE = route<{ keyId: string }>({ auth: "admin" }, (ctx, _req, { params }) =>
  toAgentKeyView(revokeAgentKey(ctx, { keyId: params.keyId })),
);
