import { GITHUB_POLICY, STRIPE_POLICY } from "./policy-example";
import { SectionHeading } from "./section-heading";
import { YamlCode } from "./yaml-code";

const NOTES = [
  {
    term: "default: deny",
    text: "Tools you did not list are refused, and new tools an upstream adds stay off until you decide.",
  },
  {
    term: "hide",
    text: "Removes a tool from tools/list, so the agent never plans with it. Called anyway, it is refused.",
  },
  {
    term: "rate_limit",
    text: "Per agent by default (scope: shared for all). Calendar windows like 5/hour or rolling { max, window }.",
  },
  {
    term: "conditions",
    text: "Check arguments: eq, in, not_in, gt, regex, contains, exists… A missing argument fails closed.",
  },
  {
    term: "require_approval",
    text: "Parks the call for a human in the console. The approval is bound to the exact arguments and used once.",
  },
  {
    term: "on_deny",
    text: "What the agent reads back, so it can explain itself or change course instead of retrying blindly.",
  },
];

export function PolicySection() {
  return (
    <section
      id="policy"
      aria-labelledby="policy-title"
      className="scroll-mt-16 bg-slate-50 py-20 sm:py-28"
    >
      <div className="mx-auto max-w-7xl px-5 sm:px-8">
        <SectionHeading
          id="policy-title"
          eyebrow="Policy as code"
          title="Rules you can read in a code review"
        >
          <p>
            One YAML document per MCP server. Loads existing Intercept-style files unchanged; every
            save is a new immutable version, and an invalid file is never activated — the previous
            version stays in force.
          </p>
        </SectionHeading>
        <div className="mt-12 grid gap-6 lg:grid-cols-2">
          <YamlCode file="policies/github.yaml" source={GITHUB_POLICY} />
          <YamlCode file="policies/stripe.yaml" source={STRIPE_POLICY} />
        </div>
        <dl className="mt-12 grid gap-x-10 gap-y-6 sm:grid-cols-2 lg:grid-cols-3">
          {NOTES.map((n) => (
            <div key={n.term}>
              <dt className="font-mono text-sm font-semibold text-slate-900">{n.term}</dt>
              <dd className="mt-1.5 text-sm leading-6 text-slate-600">{n.text}</dd>
            </div>
          ))}
        </dl>
      </div>
    </section>
  );
}
