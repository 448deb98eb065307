"use client";

import { createContext, type ReactNode, useContext } from "react";

import type { MeView } from "@/lib/core/users/views";
import { roleAtLeast, type Role } from "@/lib/core/users/role";

const SessionContext = createContext<MeView | null>(null);

export function SessionProvider({ user, children }: { user: MeView; children: ReactNode }) {
  return <SessionContext.Provider value={user}>{children}</SessionContext.Provider>;
}

export function useMe(): MeView {
  const me = useContext(SessionContext);
  if (!me) throw new Error("useMe() outside the signed-in console");
  return me;
}

/** For showing or hiding controls only; the server decides what is allowed. */
export function useCan(role: Role): boolean {
  return roleAtLeast(useMe().role, role);
}
