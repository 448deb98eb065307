import { OutcomeBadge } from "./badges";
import { COMPARISON, type ComparisonRow } from "./policy-example";
import { SectionHeading } from "./section-heading";

const args = (row: ComparisonRow) => JSON.stringify(row.arguments);

function WithPolicy({ row }: { row: ComparisonRow }) {
  return (
    <div className="space-y-1.5">
      <OutcomeBadge outcome={row.outcome} />
      <p
        className={`text-sm leading-5 ${row.outcome === "allow" ? "text-slate-600" : "text-slate-900"}`}
      >
        {row.outcome === "deny" ? (
          <span className="font-mono text-xs text-rose-700">[POLICY DENIED] </span>
        ) : null}
        {row.explanation}
      </p>
      {row.rule && row.outcome !== "allow" ? (
        <p className="font-mono text-[11px] text-slate-500">rule: {row.rule}</p>
      ) : null}
    </div>
  );
}

export function Comparison() {
  const denied = COMPARISON.filter((r) => r.outcome !== "allow").length;
  return (
    <section
      id="compare"
      aria-labelledby="compare-title"
      className="scroll-mt-16 bg-white py-20 sm:py-28"
    >
      <div className="mx-auto max-w-7xl px-5 sm:px-8">
        <SectionHeading
          id="compare-title"
          eyebrow="Before / after"
          title="Nine tool calls, with and without a policy"
        >
          <p>
            The same calls from three agents, run against the two policies above. Without Portcullis
            every one of them executes. With it, ordinary work still flows, and the {denied}{" "}
            dangerous calls are refused or held — each with a reason the agent can read and a row in
            the audit log.
          </p>
        </SectionHeading>

        <div className="mt-12 hidden overflow-hidden rounded-xl border border-slate-200 shadow-sm md:block">
          <table className="w-full table-fixed border-collapse text-left">
            <caption className="sr-only">
              Nine tool calls: the call, its arguments, the result without Portcullis, and the
              result with Portcullis
            </caption>
            <colgroup>
              <col className="w-10" />
              <col className="w-[24%]" />
              <col />
              <col className="w-28" />
              <col className="w-[30%]" />
            </colgroup>
            <thead className="bg-slate-50 text-xs font-semibold tracking-wide text-slate-600 uppercase">
              <tr>
                <th scope="col" className="px-4 py-3">
                  <span className="sr-only">Number</span>#
                </th>
                <th scope="col" className="px-4 py-3">
                  Tool call
                </th>
                <th scope="col" className="px-4 py-3">
                  Arguments
                </th>
                <th scope="col" className="px-4 py-3">
                  Without
                </th>
                <th scope="col" className="px-4 py-3">
                  With Portcullis
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {COMPARISON.map((row, i) => (
                <tr key={i} className={row.outcome === "allow" ? "bg-white" : "bg-rose-50/20"}>
                  <td className="px-4 py-4 align-top font-mono text-xs text-slate-500">{i + 1}</td>
                  <th scope="row" className="px-4 py-4 text-left align-top font-normal">
                    <span className="block font-mono text-sm font-medium break-words text-slate-900">
                      {row.server}.{row.tool}
                    </span>
                    <span className="mt-1 block text-sm text-slate-600">{row.story}</span>
                  </th>
                  <td className="px-4 py-4 align-top">
                    <code className="block rounded-md bg-slate-50 px-2.5 py-1.5 font-mono text-xs leading-5 break-words text-slate-700 ring-1 ring-slate-200">
                      {args(row)}
                    </code>
                  </td>
                  <td className="px-4 py-4 align-top">
                    <OutcomeBadge outcome="runs" />
                  </td>
                  <td className="px-4 py-4 align-top">
                    <WithPolicy row={row} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>

        <ol className="mt-10 space-y-4 md:hidden">
          {COMPARISON.map((row, i) => (
            <li key={i} className="rounded-xl border border-slate-200 p-4 shadow-sm">
              <div className="flex items-start justify-between gap-3">
                <div className="min-w-0">
                  <p className="font-mono text-sm font-medium break-words text-slate-900">
                    <span className="text-slate-500">{i + 1}. </span>
                    {row.server}.{row.tool}
                  </p>
                  <p className="mt-0.5 text-sm text-slate-600">{row.story}</p>
                </div>
              </div>
              <code className="mt-3 block rounded-md bg-slate-50 px-2.5 py-1.5 font-mono text-xs leading-5 break-words text-slate-700 ring-1 ring-slate-200">
                {args(row)}
              </code>
              <dl className="mt-3 grid grid-cols-[5.5rem_1fr] gap-x-3 gap-y-2 text-sm">
                <dt className="pt-0.5 text-slate-500">Without</dt>
                <dd>
                  <OutcomeBadge outcome="runs" />
                </dd>
                <dt className="pt-0.5 text-slate-500">With</dt>
                <dd>
                  <WithPolicy row={row} />
                </dd>
              </dl>
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}
