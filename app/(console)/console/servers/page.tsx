import type { Metadata } from "next";

import { Servers } from "@/components/servers/servers";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Servers" };

export default async function ServersPage() {
  await pageActor();
  return <Servers />;
}
