import type { Metadata } from "next";
import { Suspense } from "react";

import { AuditExplorer } from "@/components/audit/explorer";
import { LoadingBlock } from "@/components/ui/states";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Audit log" };

export default async function AuditPage() {
  await pageActor();
  return (
    <Suspense fallback={<LoadingBlock />}>
      <AuditExplorer mode="audit" />
    </Suspense>
  );
}
