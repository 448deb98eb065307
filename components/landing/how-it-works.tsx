import { SectionHeading } from "./section-heading";

function Connector({ label, tone = "accent" }: { label: string; tone?: "accent" | "emerald" }) {
  const stroke = tone === "accent" ? "stroke-indigo-400" : "stroke-emerald-400";
  const fill = tone === "accent" ? "fill-indigo-400" : "fill-emerald-400";
  return (
    <div className="flex items-center justify-center gap-3 py-2 lg:flex-col lg:gap-2 lg:py-0">
      <svg viewBox="0 0 24 56" className="h-14 w-6 lg:hidden" aria-hidden="true" focusable="false">
        <line
          x1="12"
          y1="2"
          x2="12"
          y2="42"
          className={stroke}
          strokeWidth="2"
          strokeDasharray="5 5"
        />
        <path d="M5 40 L12 53 L19 40 Z" className={fill} />
      </svg>
      <svg
        viewBox="0 0 120 24"
        className="hidden h-6 w-full max-w-[7rem] lg:block"
        aria-hidden="true"
        focusable="false"
      >
        <line
          x1="4"
          y1="12"
          x2="106"
          y2="12"
          className={stroke}
          strokeWidth="2"
          strokeDasharray="5 5"
        />
        <path d="M104 5 L116 12 L104 19 Z" className={fill} />
      </svg>
      <span className="font-mono text-[11px] whitespace-nowrap text-slate-400">{label}</span>
    </div>
  );
}

function Node({ title, items, note }: { title: string; items: string[]; note: string }) {
  return (
    <div className="rounded-xl border border-white/10 bg-slate-900 p-5">
      <h3 className="text-sm font-semibold text-white">{title}</h3>
      <ul className="mt-3 space-y-2">
        {items.map((item) => (
          <li
            key={item}
            className="rounded-md bg-white/5 px-3 py-2 font-mono text-xs text-slate-200 ring-1 ring-white/10"
          >
            {item}
          </li>
        ))}
      </ul>
      <p className="mt-3 text-xs leading-5 text-slate-400">{note}</p>
    </div>
  );
}

const PILLARS = [
  {
    name: "Policy",
    body: "One YAML file per server: hide, deny, rate-limit, validate, hold for approval. Versioned; live on the next call.",
  },
  {
    name: "Grants",
    body: "Each agent has its own keys and grants: which tools, how often, until when.",
  },
  {
    name: "Audit",
    body: "Every decision appended to a hash-chained log before the call is forwarded.",
  },
];

const STEPS = [
  {
    title: "Identify",
    body: "The agent's API key is checked (only its hash is stored). Unknown or revoked keys never reach MCP handling.",
  },
  {
    title: "Decide",
    body: "Hidden tools, the agent's grants, the default posture, rules in order, approvals, then counters — a pure, deterministic evaluation.",
  },
  {
    title: "Record",
    body: "Counter reservations and the decision row commit in one transaction. If that fails, the call is refused: Portcullis fails closed.",
  },
  {
    title: "Act",
    body: "Allowed calls are forwarded. Refusals come back as a tool result the agent can read — reason plus decision id. Held calls wait for a human.",
  },
];

export function HowItWorks() {
  return (
    <section
      id="how"
      aria-labelledby="how-title"
      className="scroll-mt-16 bg-slate-950 py-20 text-white sm:py-28"
    >
      <div className="mx-auto max-w-7xl px-5 sm:px-8">
        <SectionHeading
          id="how-title"
          eyebrow="How it works"
          title="A checkpoint on the wire, not another SDK"
          tone="dark"
        >
          <p>
            Point your MCP clients at Portcullis instead of at the servers. Nothing changes in the
            agent or in the server; every message between them now passes one decision pipeline.
          </p>
        </SectionHeading>

        <figure className="mt-14">
          <div
            role="img"
            aria-label="Diagram: AI agents send tool calls to Portcullis, which checks them against policy and grants, writes an audit record, and forwards only allowed calls to the MCP servers."
            className="grid items-center gap-2 lg:grid-cols-[1fr_7.5rem_1.6fr_7.5rem_1fr]"
          >
            <Node
              title="AI agents"
              items={["Claude Desktop", "Cursor", "your own agent"]}
              note="Each with its own Portcullis key."
            />
            <Connector label="tools/call" />
            <div className="rounded-2xl border border-indigo-400/40 bg-gradient-to-b from-indigo-400/10 to-slate-900 p-5 shadow-xl ring-1 shadow-indigo-950/40 ring-indigo-400/20">
              <div className="flex items-center justify-between">
                <h3 className="font-semibold text-white">Portcullis</h3>
                <span className="rounded bg-indigo-400/15 px-2 py-0.5 font-mono text-[11px] text-indigo-200">
                  gateway · stdio proxy
                </span>
              </div>
              <ol className="mt-4 flex flex-wrap items-center gap-1.5 font-mono text-[11px] text-slate-300">
                {STEPS.map((s, i) => (
                  <li key={s.title} className="flex items-center gap-1.5">
                    <span className="rounded bg-white/5 px-2 py-1 ring-1 ring-white/10">
                      {s.title.toLowerCase()}
                    </span>
                    {i < STEPS.length - 1 ? <span aria-hidden="true">→</span> : null}
                  </li>
                ))}
              </ol>
              <ul className="mt-4 grid gap-2 sm:grid-cols-3">
                {PILLARS.map((p) => (
                  <li key={p.name} className="rounded-lg bg-slate-950/70 p-3 ring-1 ring-white/10">
                    <p className="text-xs font-semibold tracking-wide text-indigo-300 uppercase">
                      {p.name}
                    </p>
                    <p className="mt-1.5 text-xs leading-5 text-slate-300">{p.body}</p>
                  </li>
                ))}
              </ul>
              <p className="mt-4 text-xs text-slate-400">
                Console: live traffic, approvals queue, policy editor — all on one SQLite file.
              </p>
            </div>
            <Connector label="allowed only" tone="emerald" />
            <Node
              title="MCP servers"
              items={["github", "stripe", "filesystem"]}
              note="Unchanged. Over stdio or HTTP."
            />
          </div>
          <figcaption className="sr-only">How a tool call flows through Portcullis.</figcaption>
        </figure>

        <ol className="mt-16 grid gap-8 sm:grid-cols-2 lg:grid-cols-4">
          {STEPS.map((step, i) => (
            <li key={step.title} className="border-t border-white/10 pt-6">
              <p className="font-mono text-xs text-indigo-300">0{i + 1}</p>
              <h3 className="mt-2 font-semibold text-white">{step.title}</h3>
              <p className="mt-2 text-sm leading-6 text-slate-400">{step.body}</p>
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}
