import type { Metadata } from "next";

import { Dashboard } from "@/components/dashboard/dashboard";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  await pageActor();
  return <Dashboard />;
}
