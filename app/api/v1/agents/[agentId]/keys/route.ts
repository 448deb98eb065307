import { createAgentKey, toAgentKeyView } from "@/lib/services/agents";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

/** The key is in this response only; it is never readable again. */
export const POST = route<{ agentId: string }>({ auth: "admin" }, async (ctx, req, { params }) => {
  const { key, row } = createAgentKey(ctx, {
    ...objectBody(await readJson(req)),
    agentId: params.agentId,
  } as never);
  return { key, row: toAgentKeyView(row) };
});
