"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { errorMessage } from "@/lib/client/api";
import { upstreamListQuery } from "@/components/shared/queries";
import { SelectField } from "@/components/ui/field";
import { ClientConfigTabs } from "./client-config-tabs";
import { clientConfigEnvironmentQuery } from "./queries";

/**
 * Client configurations for a server of the operator's choice. `server` fixes it (the agent
 * page has its own selector); otherwise a selector of the configured servers comes first.
 */
export function ConnectClient({
  agentKey,
  server: fixedServer,
}: {
  agentKey: string | null;
  server?: string;
}) {
  const environment = useQuery(clientConfigEnvironmentQuery());
  const servers = useQuery({ ...upstreamListQuery(), enabled: fixedServer === undefined });
  const [picked, setPicked] = useState<string | null>(null);
  const names = (servers.data ?? []).filter((s) => s.enabled).map((s) => s.name);
  const server = fixedServer ?? picked ?? names[0] ?? null;

  if (environment.error || servers.error)
    return (
      <p role="alert" className="text-sm text-rose-700">
        Could not load the connection settings: {errorMessage(environment.error ?? servers.error)}
      </p>
    );
  if (!environment.data || (fixedServer === undefined && !servers.data))
    return <p className="text-sm text-slate-500">Loading connection settings…</p>;
  if (!server)
    return (
      <p className="text-sm text-slate-500">
        Add a server first; its client configuration appears here.
      </p>
    );
  return (
    <div className="space-y-3">
      {fixedServer === undefined && names.length > 1 ? (
        <SelectField
          label="Server"
          value={server}
          onChange={(e) => setPicked(e.target.value)}
          className="max-w-xs"
        >
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </SelectField>
      ) : null}
      <ClientConfigTabs server={server} agentKey={agentKey} environment={environment.data} />
    </div>
  );
}
