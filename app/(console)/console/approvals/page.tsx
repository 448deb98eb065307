import type { Metadata } from "next";

import { Approvals } from "@/components/approvals/approvals";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Approvals" };

export default async function ApprovalsPage() {
  await pageActor();
  return <Approvals />;
}
