import type { Metadata } from "next";

import { AccountSecurity } from "@/components/account/account-security";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Account" };

export default async function AccountPage({
  searchParams,
}: {
  searchParams: Promise<{ enrol?: string }>;
}) {
  // Reachable before two-factor is set up: this is where a user who must set it up is sent.
  const { user } = await pageActor({ beforeMfa: true });
  const { enrol } = await searchParams;
  return <AccountSecurity email={user.email} enrolRequired={enrol === "required"} />;
}
