import "./console.css";

import type { Metadata } from "next";
import type { ReactNode } from "react";

import { ConsoleProviders } from "@/components/console/providers";
import { ConsoleShell } from "@/components/console/shell";
import { currentSession } from "@/lib/server/auth";

export const metadata: Metadata = {
  title: { default: "Console", template: "%s · Portcullis console" },
  robots: { index: false },
};

/**
 * Chrome only: every page checks the session itself (pageActor), and every API handler
 * checks it again. Without a session only the sign-in page renders here.
 */
export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const resolved = await currentSession();
  if (!resolved) return <ConsoleProviders csrfToken={null}>{children}</ConsoleProviders>;
  const { user, session } = resolved;
  return (
    <ConsoleProviders csrfToken={session.csrfToken}>
      <ConsoleShell user={{ id: user.id, email: user.email, name: user.name, role: user.role }}>
        {children}
      </ConsoleShell>
    </ConsoleProviders>
  );
}
