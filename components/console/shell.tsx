"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { type ReactNode, useEffect, useRef, useState } from "react";

import { apiFetch, errorMessage } from "@/lib/client/api";
import type { MeView } from "@/lib/core/users/views";
import { Badge } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";
import {
  IconBan,
  IconBot,
  IconDashboard,
  IconDocument,
  IconHand,
  IconInbox,
  IconKey,
  IconList,
  IconMenu,
  IconServer,
  IconShield,
  IconUsers,
  IconX,
} from "@/components/ui/icons";
import { useToast } from "@/components/ui/toast";
import { SessionProvider } from "./session-context";

type NavItem = {
  href: string;
  label: string;
  icon: (p: { className?: string }) => ReactNode;
  admin?: boolean;
};

const NAV: { heading: string | null; items: NavItem[] }[] = [
  {
    heading: null,
    items: [
      { href: "/console", label: "Dashboard", icon: IconDashboard },
      { href: "/console/audit", label: "Audit log", icon: IconList },
      { href: "/console/denied", label: "Denied calls", icon: IconBan },
      { href: "/console/approvals", label: "Approvals", icon: IconHand },
    ],
  },
  {
    heading: "Configure",
    items: [
      { href: "/console/servers", label: "Servers", icon: IconServer },
      { href: "/console/policies", label: "Policies", icon: IconDocument },
      { href: "/console/agents", label: "Agents", icon: IconBot },
      { href: "/console/grants", label: "Grants", icon: IconKey },
    ],
  },
  {
    heading: "Admin",
    items: [
      { href: "/console/inbox", label: "Inbox", icon: IconInbox },
      { href: "/console/users", label: "Users", icon: IconUsers, admin: true },
    ],
  },
];

const ROLE_TONE = { admin: "violet", editor: "blue", viewer: "slate" } as const;

function isActive(pathname: string, href: string): boolean {
  return href === "/console"
    ? pathname === "/console"
    : pathname === href || pathname.startsWith(`${href}/`);
}

/** The logo linking to the dashboard: compact in the phone top bar, full in the sidebar. */
function Brand({
  compact = false,
  className,
  onClick,
}: {
  compact?: boolean;
  className?: string;
  onClick?: () => void;
}) {
  return (
    <Link
      href="/console"
      onClick={onClick}
      className={cn(
        "flex items-center text-white focus-visible:outline-2 focus-visible:outline-indigo-400",
        className,
      )}
    >
      <span
        className={cn(
          "grid place-items-center rounded-lg bg-indigo-500",
          compact ? "size-7" : "size-8",
        )}
      >
        <IconShield className={compact ? "size-4" : "size-5"} />
      </span>
      <span className={cn("font-semibold tracking-tight", compact ? "text-sm" : "text-base")}>
        Portcullis
      </span>
    </Link>
  );
}

export function ConsoleShell({ user, children }: { user: MeView; children: ReactNode }) {
  const pathname = usePathname();
  const toast = useToast();
  const [signingOut, setSigningOut] = useState(false);
  // Below the md breakpoint the sidebar is a drawer behind the top bar's menu button.
  const [menuOpen, setMenuOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!menuOpen) return;
    closeButton.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setMenuOpen(false);
      menuButton.current?.focus();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [menuOpen]);

  async function signOut() {
    setSigningOut(true);
    try {
      await apiFetch("/auth/sign-out", { method: "POST" });
      window.location.replace(new URL("/console/sign-in", window.location.origin).href);
    } catch (err) {
      setSigningOut(false);
      toast.show(errorMessage(err), "error");
    }
  }

  return (
    <SessionProvider user={user}>
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow"
      >
        Skip to content
      </a>
      <div className="min-h-screen bg-slate-50 md:flex">
        <header className="sticky top-0 z-20 flex items-center justify-between gap-3 bg-slate-900 px-4 py-2.5 text-white md:hidden">
          <Brand compact className="gap-2 rounded" />
          <button
            ref={menuButton}
            type="button"
            aria-expanded={menuOpen}
            aria-controls="console-sidebar"
            onClick={() => setMenuOpen((open) => !open)}
            className="flex items-center gap-1.5 rounded-md px-2 py-1.5 text-sm font-medium text-slate-200 hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-indigo-400"
          >
            <IconMenu className="size-5" />
            Menu
          </button>
        </header>
        {menuOpen ? (
          <div
            aria-hidden="true"
            data-testid="menu-backdrop"
            onClick={() => setMenuOpen(false)}
            className="fixed inset-0 z-30 bg-slate-900/40 md:hidden"
          />
        ) : null}
        <aside
          id="console-sidebar"
          aria-label="Console menu"
          className={cn(
            "bg-slate-900 text-slate-300 md:block md:w-60 md:shrink-0",
            menuOpen
              ? "fixed inset-y-0 left-0 z-40 block w-72 max-w-[85vw] overflow-y-auto shadow-xl"
              : "hidden",
          )}
        >
          <div className="flex min-h-full flex-col md:sticky md:top-0 md:h-screen">
            <div className="flex items-center justify-between">
              <Brand className="gap-2.5 px-5 py-5" onClick={() => setMenuOpen(false)} />
              <button
                ref={closeButton}
                type="button"
                aria-label="Close menu"
                onClick={() => {
                  setMenuOpen(false);
                  menuButton.current?.focus();
                }}
                className="mr-3 rounded-md p-1.5 text-slate-400 hover:bg-slate-800 hover:text-white focus-visible:outline-2 focus-visible:outline-indigo-400 md:hidden"
              >
                <IconX className="size-5" />
              </button>
            </div>
            <nav aria-label="Console" className="flex-1 space-y-5 overflow-y-auto px-3 pb-4">
              {NAV.map((group) => {
                const items = group.items.filter((n) => !n.admin || user.role === "admin");
                if (items.length === 0) return null;
                return (
                  <div key={group.heading ?? "main"}>
                    {group.heading ? (
                      <p className="px-3 pb-1.5 text-[11px] font-semibold tracking-wider text-slate-500 uppercase">
                        {group.heading}
                      </p>
                    ) : null}
                    <ul className="space-y-0.5">
                      {items.map((item) => {
                        const active = isActive(pathname, item.href);
                        return (
                          <li key={item.href}>
                            <Link
                              href={item.href}
                              onClick={() => setMenuOpen(false)}
                              aria-current={active ? "page" : undefined}
                              className={cn(
                                "flex items-center gap-3 rounded-md px-3 py-1.5 text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-indigo-400",
                                active
                                  ? "bg-slate-800 text-white"
                                  : "hover:bg-slate-800/60 hover:text-white",
                              )}
                            >
                              <item.icon
                                className={cn(
                                  "size-5",
                                  active ? "text-indigo-400" : "text-slate-500",
                                )}
                              />
                              {item.label}
                            </Link>
                          </li>
                        );
                      })}
                    </ul>
                  </div>
                );
              })}
            </nav>
            <div className="border-t border-slate-800 p-4">
              <Link
                href="/console/account"
                aria-label="Account and two-factor authentication"
                className="-m-1 block rounded-md p-1 hover:bg-slate-800/60 focus-visible:outline-2 focus-visible:outline-indigo-400"
              >
                <p className="truncate text-sm font-medium text-white" title={user.name}>
                  {user.name}
                </p>
                <p className="truncate text-xs text-slate-400" title={user.email}>
                  {user.email}
                </p>
              </Link>
              <div className="mt-3 flex items-center justify-between">
                <Badge tone={ROLE_TONE[user.role]} className="capitalize">
                  {user.role}
                </Badge>
                <button
                  type="button"
                  onClick={signOut}
                  disabled={signingOut}
                  className="rounded-md px-2 py-1 text-xs font-medium text-slate-300 hover:bg-slate-800 hover:text-white focus-visible:outline-2 focus-visible:outline-indigo-400 disabled:opacity-50"
                >
                  {signingOut ? "Signing out…" : "Sign out"}
                </button>
              </div>
            </div>
          </div>
        </aside>
        <main id="main" className="min-w-0 flex-1 px-4 py-5 sm:px-6 md:px-8 md:py-7">
          {children}
        </main>
      </div>
    </SessionProvider>
  );
}
