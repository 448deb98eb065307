import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { AgentDetail } from "@/components/agents/agent-detail";
import { AppError } from "@/lib/core/errors";
import { getAgentView } from "@/lib/services/agents";
import { pageActor } from "@/lib/server/auth";

type Props = { params: Promise<{ agentId: string }> };

export const metadata: Metadata = { title: "Agent" };

export default async function AgentPage({ params }: Props) {
  const { ctx } = await pageActor();
  const { agentId } = await params;
  return <AgentDetail agent={findAgent(ctx, decodeURIComponent(agentId))} />;
}

function findAgent(ctx: Parameters<typeof getAgentView>[0], agentId: string) {
  try {
    return getAgentView(ctx, agentId);
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") notFound();
    throw err;
  }
}
