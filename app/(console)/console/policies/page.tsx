import type { Metadata } from "next";

import { PolicyIndex } from "@/components/policy-editor/policy-index";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Policies" };

export default async function PoliciesPage() {
  await pageActor();
  return <PolicyIndex />;
}
