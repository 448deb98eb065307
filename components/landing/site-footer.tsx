import Link from "next/link";

import { Wordmark } from "./logo";
import { SectionLink } from "./section-link";

export function SiteFooter() {
  return (
    <footer className="border-t border-white/10 bg-slate-950 text-slate-400">
      <div className="mx-auto flex max-w-7xl flex-col gap-8 px-5 py-12 sm:px-8 md:flex-row md:items-start md:justify-between">
        <div className="max-w-sm space-y-3">
          <Wordmark />
          <p className="text-sm leading-6">
            A policy gateway for the Model Context Protocol. Every tool call decided, explained and
            recorded.
          </p>
        </div>
        <nav aria-label="Footer" className="grid grid-cols-2 gap-x-12 gap-y-2 text-sm">
          <SectionLink
            className="hover:text-white focus-visible:outline-2 focus-visible:outline-indigo-400"
            href="/#how"
          >
            How it works
          </SectionLink>
          <Link
            className="hover:text-white focus-visible:outline-2 focus-visible:outline-indigo-400"
            href="/quickstart"
          >
            Quick start
          </Link>
          <SectionLink
            className="hover:text-white focus-visible:outline-2 focus-visible:outline-indigo-400"
            href="/#policy"
          >
            Policy language
          </SectionLink>
          <a
            className="hover:text-white focus-visible:outline-2 focus-visible:outline-indigo-400"
            href="/console"
          >
            Console sign-in
          </a>
          <SectionLink
            className="hover:text-white focus-visible:outline-2 focus-visible:outline-indigo-400"
            href="/#compare"
          >
            Before / after
          </SectionLink>
          <SectionLink
            className="hover:text-white focus-visible:outline-2 focus-visible:outline-indigo-400"
            href="/#contact"
          >
            Contact
          </SectionLink>
        </nav>
      </div>
      <div className="border-t border-white/5">
        <p className="mx-auto max-w-7xl px-5 py-5 text-xs text-slate-400 sm:px-8">
          © 2026 Portcullis. Runs on your own hosts; your tool traffic never leaves them.
        </p>
      </div>
    </footer>
  );
}
