"use client";

import { useRef } from "react";

import { useCopy } from "@/lib/client/use-copy";

import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { IconCheck } from "@/components/ui/icons";
import { ConnectClient } from "@/components/client-config/connect-client";
import type { IssuedKey } from "./queries";

/** Shows a new key's secret, the only time it is ever readable; closing the dialog forgets it. */
export function KeyRevealDialog({
  agentName,
  issued,
  onClose,
}: {
  agentName: string;
  issued: IssuedKey;
  onClose: () => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const { copied, copy } = useCopy(() => input.current);

  return (
    <Dialog
      open
      onClose={onClose}
      title={`Key ${issued.row.name} for ${agentName}`}
      description="Copy it now and store it where the agent reads its configuration."
      footer={<Button onClick={onClose}>Done, I have stored it</Button>}
      className="sm:max-w-2xl"
    >
      <div className="space-y-4">
        <p
          role="alert"
          className="rounded-md bg-amber-50 px-3 py-2.5 text-sm text-amber-900 ring-1 ring-amber-200"
        >
          This is the only time the key is shown. Portcullis keeps only a hash: if it is lost,
          revoke it and create a new one.
        </p>
        <div className="space-y-1">
          <label htmlFor="issued-key" className="block text-sm font-medium text-slate-700">
            API key
          </label>
          <div className="flex gap-2">
            <input
              ref={input}
              id="issued-key"
              readOnly
              value={issued.key}
              onFocus={(e) => e.currentTarget.select()}
              spellCheck={false}
              autoComplete="off"
              data-testid="issued-key"
              className="block w-full rounded-md border-0 bg-slate-50 px-3 py-1.5 font-mono text-sm text-slate-900 ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
            />
            <Button
              variant="secondary"
              onClick={() => void copy(issued.key)}
              aria-label="Copy key to clipboard"
            >
              {copied === "yes" ? <IconCheck className="size-4 text-emerald-600" /> : null}
              {copied === "yes" ? "Copied" : "Copy"}
            </Button>
          </div>
          <p className="text-xs text-slate-500" aria-live="polite">
            {copied === "failed"
              ? "The browser blocked the clipboard; the key is selected — press Ctrl+C."
              : "Send it as \u201cAuthorization: Bearer <key>\u201d to the gateway."}
          </p>
        </div>
        <section aria-labelledby="connect-heading" className="space-y-2">
          <h3 id="connect-heading" className="text-sm font-semibold text-slate-900">
            Connect a client
          </h3>
          <ConnectClient agentKey={issued.key} />
        </section>
      </div>
    </Dialog>
  );
}
