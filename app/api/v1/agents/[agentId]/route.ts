import {
  disableAgent,
  enableAgent,
  listAgents,
  toAgentView,
  updateAgent,
} from "@/lib/services/agents";
import { AppError } from "@/lib/core/errors";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route<{ agentId: string }>({ auth: "viewer" }, (ctx, _req, { params }) => {
  const found = listAgents(ctx).find((a) => a.agent.id === params.agentId);
  if (!found) throw new AppError("NOT_FOUND", `agent ${params.agentId} does not exist`);
  return toAgentView(found.agent, found.keys);
});

/** `{disabled: true|false}` disables or re-enables; other fields rename or re-describe. */
export const PATCH = route<{ agentId: string }>({ auth: "admin" }, async (ctx, req, { params }) => {
  const { disabled, ...rest } = objectBody(await readJson(req));
  let agent =
    Object.keys(rest).length > 0
      ? updateAgent(ctx, { ...rest, agentId: params.agentId } as never)
      : undefined;
  if (disabled === true) agent = disableAgent(ctx, { agentId: params.agentId });
  else if (disabled === false) agent = enableAgent(ctx, { agentId: params.agentId });
  else if (disabled !== undefined)
    throw new AppError("VALIDATION", "disabled must be true or false", { field: "disabled" });
  if (!agent) throw new AppError("VALIDATION", "Nothing to change");
  return toAgentView(agent);
});
