import type { Metadata } from "next";
import Link from "next/link";

import { ClientConfigTabs } from "@/components/client-config/client-config-tabs";
import { CommandBlock, QUICK_START_COMMANDS } from "@/components/landing/quick-start";
import { EXAMPLE_ENVIRONMENT } from "@/lib/core/client-config/generate";

export const dynamic = "force-static";

export const metadata: Metadata = { title: "Quick start" };

const ADDRESSES = [
  ["Console", "http://127.0.0.1:7300/console", "sign in as admin@portcullis.local"],
  ["Landing page", "http://127.0.0.1:7300/", "this site"],
  ["Gateway", "http://127.0.0.1:7400/mcp/<server>", "the demo server is /mcp/everything"],
  ["Health, metrics", "http://127.0.0.1:7400/healthz, /metrics", "for your monitoring"],
  ["Database", "~/.portcullis/portcullis.db", "or PORTCULLIS_DB"],
];

export default function QuickStartPage() {
  return (
    <article className="bg-white">
      <header className="bg-slate-950 text-white">
        <div className="mx-auto max-w-4xl px-5 py-16 sm:px-8 sm:py-20">
          <p className="text-sm font-semibold text-indigo-300">Quick start</p>
          <h1 className="mt-2 text-4xl font-semibold tracking-tight sm:text-5xl">
            From clone to governed tool calls
          </h1>
          <p className="mt-4 max-w-2xl text-lg leading-8 text-slate-300">
            Node 20 and a checkout of the repository. Everything else — the database, the console,
            the gateway and a demo MCP server — starts from one command.
          </p>
          <div className="mt-8 max-w-xl">
            <CommandBlock commands={QUICK_START_COMMANDS} />
          </div>
        </div>
      </header>

      <div className="mx-auto max-w-4xl space-y-16 px-5 py-16 sm:px-8">
        <section aria-labelledby="qs-run">
          <h2 id="qs-run" className="text-2xl font-semibold tracking-tight text-slate-900">
            1. Start it
          </h2>
          <p className="mt-3 leading-7 text-slate-600">
            <code className="font-mono text-sm text-slate-900">npm start</code> installs what is
            missing, builds, migrates the SQLite database, seeds it on the first run and starts the
            console and the gateway. The first run prints the admin password and a demo agent key
            once; later runs keep your data. In a second terminal,{" "}
            <code className="font-mono text-sm text-slate-900">npm run demo</code> sends a paced mix
            of agent traffic so the dashboard, denied calls and approvals come alive within a
            minute.
          </p>
          <div className="mt-6 overflow-x-auto rounded-xl border border-slate-200">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Addresses after npm start</caption>
              <tbody className="divide-y divide-slate-200">
                {ADDRESSES.map(([what, where, note]) => (
                  <tr key={what}>
                    <th
                      scope="row"
                      className="px-4 py-3 font-medium whitespace-nowrap text-slate-900"
                    >
                      {what}
                    </th>
                    <td className="px-4 py-3 font-mono text-xs text-slate-700">{where}</td>
                    <td className="px-4 py-3 text-slate-500">{note}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>

        <section aria-labelledby="qs-connect">
          <h2 id="qs-connect" className="text-2xl font-semibold tracking-tight text-slate-900">
            2. Connect an MCP client
          </h2>
          <p className="mt-3 leading-7 text-slate-600">
            In the console, an agent&apos;s page and the dialog that issues its key show these
            snippets filled in: the agent&apos;s key, the gateway&apos;s address and the absolute
            paths of <code className="font-mono text-sm text-slate-900">node</code>, the launcher
            and the database on your machine. Here they are with stand-ins for the demo server.
          </p>
          <ClientConfigTabs
            server="everything"
            agentKey={null}
            environment={EXAMPLE_ENVIRONMENT}
            className="mt-5"
          />
          <p className="mt-4 text-sm leading-6 text-slate-500">
            Clients start stdio servers from their own folder and the package is not published to
            npm, so <code className="font-mono">npx portcullis</code> does not resolve there: point
            them at <code className="font-mono">bin/portcullis.mjs</code> by absolute path. Without
            a console,{" "}
            <code className="font-mono">run --policy FILE -- &lt;server command&gt;</code> enforces
            a policy file instead of <code className="font-mono">--server</code>.
          </p>
        </section>

        <section aria-labelledby="qs-policy">
          <h2 id="qs-policy" className="text-2xl font-semibold tracking-tight text-slate-900">
            3. Write a policy
          </h2>
          <p className="mt-3 leading-7 text-slate-600">
            Open the console, pick the server, and edit its policy — the editor validates as you
            type and the gateway enforces a saved version on the next call. The{" "}
            <Link
              href="/#policy"
              className="font-medium text-indigo-700 underline underline-offset-4 hover:text-indigo-900"
            >
              examples on the home page
            </Link>{" "}
            are a good start; the repository&apos;s README and{" "}
            <code className="font-mono text-sm">docs/policy.md</code> document every key.
          </p>
        </section>

        <section
          aria-labelledby="qs-help"
          className="rounded-2xl bg-slate-50 p-8 ring-1 ring-slate-200"
        >
          <h2 id="qs-help" className="text-xl font-semibold text-slate-900">
            Planning a production rollout?
          </h2>
          <p className="mt-2 leading-7 text-slate-600">
            We are happy to look at your agents and servers with you.
          </p>
          <Link
            href="/#contact"
            className="mt-5 inline-block rounded-md bg-slate-900 px-5 py-2.5 text-sm font-semibold text-white hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
          >
            Get in touch
          </Link>
        </section>
      </div>
    </article>
  );
}
