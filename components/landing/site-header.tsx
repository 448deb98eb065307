import Link from "next/link";

import { Wordmark } from "./logo";
import { SectionLink } from "./section-link";

const NAV: { href: `/#${string}` | "/quickstart"; label: string }[] = [
  { href: "/#problem", label: "Why" },
  { href: "/#how", label: "How it works" },
  { href: "/#policy", label: "Policy" },
  { href: "/#compare", label: "Before / after" },
  { href: "/quickstart", label: "Quick start" },
];

export function SiteHeader() {
  return (
    <header className="sticky top-0 z-40 border-b border-white/10 bg-slate-950">
      <div className="mx-auto flex h-16 max-w-7xl items-center justify-between gap-6 px-5 sm:px-8">
        <Link
          href="/"
          className="rounded-md focus-visible:outline-2 focus-visible:outline-offset-4 focus-visible:outline-indigo-400"
        >
          <Wordmark />
          <span className="sr-only"> home</span>
        </Link>
        <nav aria-label="Main" className="hidden lg:block">
          <ul className="flex items-center gap-1 text-sm text-slate-300">
            {NAV.map((item) => (
              <li key={item.href}>
                <a
                  href={item.href}
                  className="rounded-md px-3 py-2 transition-colors hover:text-white focus-visible:outline-2 focus-visible:outline-indigo-400"
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="flex items-center gap-2">
          <a
            href="/console"
            className="hidden rounded-md px-3 py-2 text-sm text-slate-300 hover:text-white focus-visible:outline-2 focus-visible:outline-indigo-400 sm:block"
          >
            Sign in
          </a>
          <SectionLink
            href="/#contact"
            className="rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm transition-colors hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-300"
          >
            Get in touch
          </SectionLink>
        </div>
      </div>
    </header>
  );
}
