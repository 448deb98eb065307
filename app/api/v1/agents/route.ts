import { createAgent, listAgents, toAgentView } from "@/lib/services/agents";
import { readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer" }, (ctx) =>
  listAgents(ctx).map((a) => toAgentView(a.agent, a.keys)),
);

export const POST = route({ auth: "admin" }, async (ctx, req) =>
  toAgentView(createAgent(ctx, (await readJson(req)) as never)),
);
