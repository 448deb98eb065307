import type { Metadata } from "next";

import { NoAccess } from "@/components/console/no-access";
import { Users } from "@/components/users/users";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const { user } = await pageActor();
  if (user.role !== "admin") return <NoAccess role="admin" />;
  return <Users />;
}
