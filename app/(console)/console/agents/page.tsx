import type { Metadata } from "next";

import { Agents } from "@/components/agents/agents";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Agents" };

export default async function AgentsPage() {
  await pageActor();
  return <Agents />;
}
