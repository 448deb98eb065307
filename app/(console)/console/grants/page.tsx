import type { Metadata } from "next";
import { Suspense } from "react";

import { Grants } from "@/components/grants/grants";
import { LoadingBlock } from "@/components/ui/states";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Grants" };

export default async function GrantsPage() {
  await pageActor();
  return (
    <Suspense fallback={<LoadingBlock />}>
      <Grants />
    </Suspense>
  );
}
