import Link from "next/link";
import { SectionLink } from "./section-link";

const FEED = [
  {
    time: "10:42:07",
    agent: "triage-bot",
    call: "github.get_file_contents",
    decision: "allow",
    note: "allowed",
  },
  {
    time: "10:42:09",
    agent: "triage-bot",
    call: "github.create_issue",
    decision: "deny",
    note: "5/hour reached",
  },
  {
    time: "10:42:12",
    agent: "support-agent",
    call: "stripe.create_refund",
    decision: "hold",
    note: "amount 480000 > 10000",
  },
  {
    time: "10:42:15",
    agent: "coder",
    call: "github.delete_repository",
    decision: "deny",
    note: "hidden by policy",
  },
  {
    time: "10:42:18",
    agent: "support-agent",
    call: "stripe.retrieve_charge",
    decision: "allow",
    note: "allowed",
  },
] as const;

const DECISION_STYLE = {
  allow: "text-emerald-300 bg-emerald-400/10 ring-emerald-400/30",
  deny: "text-rose-300 bg-rose-400/10 ring-rose-400/30",
  hold: "text-amber-200 bg-amber-400/10 ring-amber-400/30",
} as const;

export function Hero() {
  return (
    <section
      aria-labelledby="hero-title"
      className="relative overflow-hidden bg-slate-950 text-white"
    >
      <div
        aria-hidden="true"
        className="pointer-events-none absolute inset-0"
        style={{
          backgroundImage:
            "radial-gradient(ellipse 70% 55% at 50% -10%, rgb(99 102 241 / 0.22), transparent 70%), linear-gradient(to right, rgb(148 163 184 / 0.05) 1px, transparent 1px), linear-gradient(to bottom, rgb(148 163 184 / 0.05) 1px, transparent 1px)",
          backgroundSize: "100% 100%, 48px 48px, 48px 48px",
        }}
      />
      <div className="relative mx-auto grid max-w-7xl gap-14 px-5 pt-16 pb-20 sm:px-8 md:pt-24 md:pb-28 lg:grid-cols-[1.05fr_1fr] lg:items-center">
        <div>
          <p className="inline-flex items-center gap-2 rounded-full border border-indigo-400/30 bg-indigo-400/10 px-3 py-1 text-xs font-medium text-indigo-200">
            <span aria-hidden="true" className="h-1.5 w-1.5 rounded-full bg-indigo-400" />
            Policy gateway for MCP tool calls
          </p>
          <h1
            id="hero-title"
            className="mt-6 text-4xl font-semibold tracking-tight text-balance sm:text-5xl lg:text-6xl lg:leading-[1.05]"
          >
            Your agents hold the keys. Portcullis decides what they open.
          </h1>
          <p className="mt-6 max-w-xl text-lg leading-8 text-slate-300">
            Portcullis sits between AI agents and the MCP servers they call — GitHub, Stripe, your
            databases — and allows, denies, rate-limits or holds every{" "}
            <code className="font-mono text-indigo-200">tools/call</code> for a human, by a YAML
            policy you can read. Every decision lands in a tamper-evident audit log.
          </p>
          <div className="mt-9 flex flex-wrap items-center gap-3">
            <SectionLink
              href="#contact"
              className="rounded-md bg-indigo-600 px-5 py-3 text-sm font-semibold text-white shadow-sm transition-colors hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-300"
            >
              Get in touch
            </SectionLink>
            <Link
              href="/quickstart"
              className="rounded-md border border-white/15 px-5 py-3 text-sm font-semibold text-white transition-colors hover:border-white/30 hover:bg-white/5 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-300"
            >
              Run it locally <span aria-hidden="true">→</span>
            </Link>
          </div>
          <dl className="mt-12 grid max-w-lg gap-3 border-t border-white/10 pt-6 text-sm sm:grid-cols-3 sm:gap-6">
            {[
              ["Code changes", "None in agents or servers"],
              ["Policy", "Enforced on the next call"],
              ["Audit", "Hash-chained, verifiable"],
            ].map(([term, value]) => (
              <div key={term} className="flex justify-between gap-4 sm:block">
                <dt className="text-slate-400">{term}</dt>
                <dd className="text-right font-semibold text-white sm:mt-1 sm:text-left">
                  {value}
                </dd>
              </div>
            ))}
          </dl>
        </div>

        <figure className="rounded-xl border border-white/10 bg-slate-900/80 shadow-2xl ring-1 shadow-indigo-950/50 ring-white/5">
          <div className="flex items-center justify-between border-b border-white/10 px-4 py-3">
            <div className="flex items-center gap-2">
              <span aria-hidden="true" className="h-2 w-2 rounded-full bg-emerald-400" />
              <span className="text-xs font-medium text-slate-300">Live decisions</span>
            </div>
            <span className="font-mono text-[11px] text-slate-400">
              audit seq 18 204 · chain verified
            </span>
          </div>
          <ol className="divide-y divide-white/5 font-mono text-[12.5px]">
            {FEED.map((row) => (
              <li
                key={row.time}
                className="grid grid-cols-[4.5rem_1fr_auto] items-center gap-3 px-4 py-3"
              >
                <span className="text-slate-400">{row.time}</span>
                <span className="min-w-0">
                  <span className="block truncate text-slate-100">{row.call}</span>
                  <span className="block truncate text-[11px] text-slate-400">
                    {row.agent} · {row.note}
                  </span>
                </span>
                <span
                  className={`rounded px-2 py-0.5 text-[11px] font-semibold tracking-wide uppercase ring-1 ring-inset ${DECISION_STYLE[row.decision]}`}
                >
                  {row.decision}
                </span>
              </li>
            ))}
          </ol>
          <figcaption className="border-t border-white/10 px-4 py-3 text-xs text-slate-400">
            What the console shows while agents work: each call, the rule that decided it, and why.
          </figcaption>
        </figure>
      </div>
    </section>
  );
}
