import { SectionHeading } from "./section-heading";

const FEATURES: { title: string; body: string; icon: string }[] = [
  {
    title: "Deny, hide and default-deny",
    body: "Hidden tools vanish from tools/list. Under default: deny, anything not listed — including tools an upstream adds tomorrow — is refused.",
    icon: "M12 3l7 3v5c0 4.5-3 8.3-7 10-4-1.7-7-5.5-7-10V6l7-3zM9 12l2 2 4-4",
  },
  {
    title: "Rate limits and spend caps",
    body: "Calendar or rolling windows, per agent or shared, plus exact-decimal budgets like “$500 of refunds a day”. Never over-admitted, across processes.",
    icon: "M4 19h16M7 16V9m5 7V5m5 11v-4",
  },
  {
    title: "Human approval",
    body: "Risky calls park in the console's approvals queue. An approval is bound to the exact arguments and consumed once.",
    icon: "M8 11V7a4 4 0 118 0v4M6 11h12v9H6zM12 15v2",
  },
  {
    title: "Argument checks",
    body: "Conditions on any argument, and validation against the tool's own JSON Schema. Malformed or missing arguments fail closed.",
    icon: "M8 7l-4 5 4 5M16 7l4 5-4 5M13.5 5l-3 14",
  },
  {
    title: "Agent identities and grants",
    body: "Every agent gets its own keys (shown once, stored hashed) and grants: which tools, what limits, until when.",
    icon: "M15 7a3 3 0 11-6 0 3 3 0 016 0zM5 20a7 7 0 0114 0",
  },
  {
    title: "Rug-pull quarantine",
    body: "Tool definitions are pinned by hash. When a server quietly changes a tool, it is hidden and refused until an admin reviews the diff.",
    icon: "M12 8v5m0 3h.01M10.3 3.9L2.6 17a2 2 0 001.7 3h15.4a2 2 0 001.7-3L13.7 3.9a2 2 0 00-3.4 0z",
  },
  {
    title: "Tamper-evident audit",
    body: "Every decision, outcome and console change in one append-only, hash-chained log. portcullis audit verify finds the first altered row.",
    icon: "M9 12l2 2 4-4M7 4h10a2 2 0 012 2v14l-3-2-2 2-2-2-2 2-2-2-3 2V6a2 2 0 012-2z",
  },
  {
    title: "Live console",
    body: "Watch calls stream in, filter denials, turn a refused call into a scoped, expiring grant in one step, and edit policies with validation as you type.",
    icon: "M4 5h16v11H4zM8 20h8M12 16v4",
  },
  {
    title: "Risk-ranked tool inventory",
    body: "Each upstream tool is classified — read, write, execute, destructive, financial — with the evidence and a recommended starter rule.",
    icon: "M4 6h16M4 12h10M4 18h6",
  },
];

export function Features() {
  return (
    <section
      id="features"
      aria-labelledby="features-title"
      className="scroll-mt-16 bg-slate-50 py-20 sm:py-28"
    >
      <div className="mx-auto max-w-7xl px-5 sm:px-8">
        <SectionHeading
          id="features-title"
          eyebrow="Features"
          title="Everything between the agent and the blast radius"
        />
        <ul className="mt-14 grid gap-px overflow-hidden rounded-2xl border border-slate-200 bg-slate-200 sm:grid-cols-2 lg:grid-cols-3">
          {FEATURES.map((f) => (
            <li key={f.title} className="bg-white p-7">
              <span className="inline-flex h-10 w-10 items-center justify-center rounded-lg bg-indigo-50 ring-1 ring-indigo-200">
                <svg
                  viewBox="0 0 24 24"
                  className="h-5 w-5 stroke-indigo-700"
                  fill="none"
                  strokeWidth="1.8"
                  strokeLinecap="round"
                  strokeLinejoin="round"
                  aria-hidden="true"
                  focusable="false"
                >
                  <path d={f.icon} />
                </svg>
              </span>
              <h3 className="mt-5 font-semibold text-slate-900">{f.title}</h3>
              <p className="mt-2 text-sm leading-6 text-slate-600">{f.body}</p>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
