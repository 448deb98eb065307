import { SectionHeading } from "./section-heading";

const INCIDENTS = [
  {
    title: "The refund loop",
    body: "A support agent's refund call times out, so it retries — and retries. The same $25 charge is refunded 37 times before anyone looks at the Stripe dashboard.",
    call: 'stripe.create_refund {"charge":"ch_3PqK2L","amount":2500}',
    count: "× 37 in 4 minutes",
  },
  {
    title: "The cleanup that went too far",
    body: "Asked to “remove the old billing service”, a coding agent finds the repository and deletes it. Its token allowed it; nothing asked whether it should.",
    call: 'github.delete_repository {"owner":"acme","repo":"billing-api"}',
    count: "× 1, irreversible",
  },
  {
    title: "The issue flood",
    body: "A triage agent reads a flaky CI log every five minutes and opens a fresh issue each time. By morning the backlog has 212 duplicates and the on-call team has muted the repo.",
    call: 'github.create_issue {"title":"Flaky test: test_refund_webhook"}',
    count: "× 212 overnight",
  },
];

export function Problem() {
  return (
    <section
      id="problem"
      aria-labelledby="problem-title"
      className="scroll-mt-16 bg-white py-20 sm:py-28"
    >
      <div className="mx-auto max-w-7xl px-5 sm:px-8">
        <SectionHeading
          id="problem-title"
          eyebrow="The problem"
          title="Agents are fast, tireless and sometimes wrong"
        >
          <p>
            An MCP server runs whatever it is asked to, with the credentials it holds. API tokens
            are all or nothing, and a system prompt is not a permission system. One confused or
            prompt-injected agent is enough.
          </p>
        </SectionHeading>
        <ul className="mt-14 grid gap-6 lg:grid-cols-3">
          {INCIDENTS.map((incident) => (
            <li
              key={incident.title}
              className="flex flex-col rounded-xl border border-slate-200 bg-slate-50/60 p-6 shadow-sm"
            >
              <h3 className="text-lg font-semibold text-slate-900">{incident.title}</h3>
              <p className="mt-3 flex-1 leading-7 text-slate-600">{incident.body}</p>
              <div className="mt-6 rounded-lg bg-slate-950 px-4 py-3 font-mono text-xs leading-5">
                <p className="break-all text-slate-200">{incident.call}</p>
                <p className="mt-1 text-rose-300">{incident.count}</p>
              </div>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
