import "./globals.css";

import type { Metadata } from "next";
import type { ReactNode } from "react";

export const metadata: Metadata = {
  title: { default: "Portcullis — policy gateway for AI agents", template: "%s · Portcullis" },
  description:
    "Portcullis sits between AI agents and MCP servers: every tool call allowed, denied, rate-limited or held for a human, and recorded.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">{children}</body>
    </html>
  );
}
