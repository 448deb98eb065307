import { UpdateAgentInput } from "@/lib/core/agents/inputs";
import { listAgents, toAgentView, updateAgent } from "@/lib/services/agents";
import { AppError } from "@/lib/core/errors";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route<{ agentId: string }>({ auth: "viewer" }, (ctx, _req, { params }) => {
  const found = listAgents(ctx).find((a) => a.agent.id === params.agentId);
  if (!found) throw new AppError("NOT_FOUND", `agent ${params.agentId} does not exist`);
  return toAgentView(found.agent, found.keys);
});

/**
 * Renames, re-describes, disables (`disabled: true`) or re-enables an agent: the whole body is
 * checked before anything is written, and the change is one transaction with one audit row.
 */
export const PATCH = route<{ agentId: string }>({ auth: "admin" }, async (ctx, req, { params }) => {
  const input = UpdateAgentInput.parse({
    ...objectBody(await readJson(req)),
    agentId: params.agentId,
  });
  return toAgentView(updateAgent(ctx, input));
});
