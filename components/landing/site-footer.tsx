import Link from "next/link";

import { Wordmark } from "./logo";

export function SiteFooter() {
  return (
    <footer className="border-t border-white/10 bg-slate-950 text-slate-400">
      <div className="mx-auto flex max-w-7xl flex-col gap-8 px-5 py-12 sm:px-8 md:flex-row md:items-start md:justify-between">
        <div className="max-w-sm space-y-3">
          <Wordmark />
          <p className="text-sm leading-6">
            A policy gateway for the Model Context Protocol. Every tool call decided, explained and recorded.
          </p>
        </div>
        <nav aria-label="Footer" className="grid grid-cols-2 gap-x-12 gap-y-2 text-sm">
          <a className="hover:text-white focus-visible:outline-2 focus-visible:outline-sky-400" href="/#how">
            How it works
          </a>
          <Link className="hover:text-white focus-visible:outline-2 focus-visible:outline-sky-400" href="/quickstart">
            Quick start
          </Link>
          <a className="hover:text-white focus-visible:outline-2 focus-visible:outline-sky-400" href="/#policy">
            Policy language
          </a>
          <a className="hover:text-white focus-visible:outline-2 focus-visible:outline-sky-400" href="/console">
            Console sign-in
          </a>
          <a className="hover:text-white focus-visible:outline-2 focus-visible:outline-sky-400" href="/#compare">
            Before / after
          </a>
          <a className="hover:text-white focus-visible:outline-2 focus-visible:outline-sky-400" href="/#contact">
            Contact
          </a>
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
