import type { Metadata } from "next";
import { Suspense } from "react";

import { AuditExplorer } from "@/components/audit/explorer";
import { LoadingBlock } from "@/components/ui/states";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Denied calls" };

export default async function DeniedPage() {
  await pageActor();
  return (
    <Suspense fallback={<LoadingBlock />}>
      <AuditExplorer mode="denied" />
    </Suspense>
  );
}
