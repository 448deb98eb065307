import Link from "next/link";
import { SectionLink } from "./section-link";

export function CommandBlock({ commands }: { commands: { cmd: string; note: string }[] }) {
  return (
    <div
      className="overflow-x-auto rounded-xl border border-white/10 bg-slate-900 p-5 font-mono text-sm"
      tabIndex={0}
    >
      {commands.map((c) => (
        <p key={c.cmd} className="leading-7 [&+p]:mt-2 sm:[&+p]:mt-0">
          <span aria-hidden="true" className="text-slate-500 select-none">
            ${" "}
          </span>
          <span className="text-white">{c.cmd}</span>
          <span className="block pl-4 text-slate-400 sm:inline sm:pl-0">
            <span className="hidden sm:inline">{"  "}</span># {c.note}
          </span>
        </p>
      ))}
    </div>
  );
}

export const QUICK_START_COMMANDS = [
  { cmd: "npm start", note: "build, migrate, seed, run console + gateway" },
  { cmd: "npm test", note: "unit, integration and browser tests" },
];

export function QuickStart() {
  return (
    <section
      id="quickstart"
      aria-labelledby="quickstart-title"
      className="scroll-mt-16 bg-slate-950 py-20 text-white sm:py-24"
    >
      <div className="mx-auto grid max-w-7xl gap-12 px-5 sm:px-8 lg:grid-cols-2 lg:items-center">
        <div>
          <p className="text-sm font-semibold text-indigo-300">Quick start</p>
          <h2
            id="quickstart-title"
            className="mt-2 text-3xl font-semibold tracking-tight sm:text-4xl"
          >
            Two commands to a running gateway
          </h2>
          <p className="mt-4 text-lg leading-8 text-slate-300">
            Node 20 and one SQLite file; no other services. The first start seeds an admin account,
            a demo agent key and a demo MCP server with a starter policy, so the console has traffic
            within a minute.
          </p>
          <div className="mt-8 flex flex-wrap gap-3">
            <Link
              href="/quickstart"
              className="rounded-md bg-white px-5 py-3 text-sm font-semibold text-slate-950 hover:bg-slate-200 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-300"
            >
              Read the quick start
            </Link>
            <SectionLink
              href="#contact"
              className="rounded-md border border-white/15 px-5 py-3 text-sm font-semibold text-white hover:bg-white/5 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-300"
            >
              Talk to us about production
            </SectionLink>
          </div>
        </div>
        <CommandBlock commands={QUICK_START_COMMANDS} />
      </div>
    </section>
  );
}
