"use client";

import { useId, useRef, useState } from "react";

import {
  type ClientConfigEnvironment,
  type ClientConfigTarget,
  clientConfigs,
  EXAMPLE_ENVIRONMENT,
} from "@/lib/core/client-config/generate";
import { useCopy } from "@/lib/client/use-copy";
import { cn } from "@/components/ui/cn";
import { IconCheck } from "@/components/ui/icons";

/**
 * Ready-made client configurations for one server, one per tab, each with a copy button. With
 * no key the snippets carry a placeholder where the key goes.
 */
export function ClientConfigTabs({
  server,
  agentKey,
  environment,
  initial = "claude-code",
  className,
}: {
  server: string;
  agentKey: string | null;
  environment: ClientConfigEnvironment;
  initial?: ClientConfigTarget;
  className?: string;
}) {
  const id = useId();
  const configs = clientConfigs({
    server,
    gatewayUrl: environment.gatewayUrl,
    key: agentKey,
    launcher: environment.launcher ?? EXAMPLE_ENVIRONMENT.launcher,
  });
  const [target, setTarget] = useState<ClientConfigTarget>(initial);
  const pre = useRef<HTMLPreElement>(null);
  const { copied, copy, reset } = useCopy(() => pre.current);
  const current = configs.find((c) => c.target === target) ?? configs[0];
  if (!current) return null;
  const launcherMissing =
    !environment.launcher && (target === "stdio" || target === "claude-desktop");

  return (
    <div className={cn("min-w-0", className)} data-testid="client-configs">
      <div
        role="tablist"
        aria-label="Client"
        className="flex flex-wrap gap-1 rounded-lg bg-slate-100 p-1"
      >
        {configs.map((c) => (
          <button
            key={c.target}
            type="button"
            role="tab"
            id={`${id}-${c.target}-tab`}
            aria-selected={c.target === target}
            aria-controls={`${id}-panel`}
            onClick={() => {
              setTarget(c.target);
              reset();
            }}
            className={cn(
              "rounded-md px-2.5 py-1 text-xs font-medium focus-visible:outline-2 focus-visible:outline-indigo-600",
              c.target === target
                ? "bg-white text-slate-900 shadow-sm"
                : "text-slate-600 hover:text-slate-900",
            )}
          >
            {c.label}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id={`${id}-panel`}
        aria-labelledby={`${id}-${current.target}-tab`}
        className="mt-2"
      >
        <div className="flex items-start justify-between gap-3">
          <p className="min-w-0 text-xs leading-5 text-slate-600">
            {current.file ? (
              <code className="mr-1 rounded bg-slate-100 px-1 py-0.5 font-mono text-[11px] text-slate-800">
                {current.file}
              </code>
            ) : null}
            {current.hint}
          </p>
          <button
            type="button"
            onClick={() => void copy(current.text)}
            aria-label={`Copy the ${current.label} configuration`}
            className="inline-flex h-7 flex-none items-center gap-1 rounded-md bg-white px-2.5 text-xs font-medium text-slate-800 ring-1 ring-slate-300 ring-inset hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
          >
            {copied === "yes" ? <IconCheck className="size-3.5 text-emerald-600" /> : null}
            {copied === "yes" ? "Copied" : "Copy"}
          </button>
        </div>
        <pre
          ref={pre}
          tabIndex={0}
          aria-label={`${current.label} configuration`}
          data-testid="client-config-text"
          className="mt-2 max-h-72 overflow-auto rounded-lg bg-slate-950 p-3 font-mono text-xs leading-5 text-slate-100"
        >
          {current.text}
        </pre>
        <p className="mt-1 text-xs text-slate-500" aria-live="polite">
          {copied === "failed"
            ? "The browser blocked the clipboard; the text is selected — press Ctrl+C."
            : launcherMissing
              ? "The launcher was not found from the console's folder: replace the example path with the absolute path of bin/portcullis.mjs."
              : agentKey
                ? null
                : "Replace the placeholder with the agent's key: keys are shown only once, when issued."}
        </p>
      </div>
    </div>
  );
}
