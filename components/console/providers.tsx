"use client";

import { QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";

import { setCsrfToken } from "@/lib/client/csrf";
import { makeQueryClient } from "@/lib/client/query-client";
import { ToastProvider } from "@/components/ui/toast";

export function ConsoleProviders({
  csrfToken,
  children,
}: {
  csrfToken: string | null;
  children: ReactNode;
}) {
  setCsrfToken(csrfToken);
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      <ToastProvider>{children}</ToastProvider>
    </QueryClientProvider>
  );
}
