"use client";

import { useRef } from "react";

import { useCopy } from "@/lib/client/use-copy";
import { Button } from "@/components/ui/button";

/** The recovery codes, shown once right after enrolment. */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const list = useRef<HTMLOListElement>(null);
  const { copied, copy } = useCopy(() => list.current);
  const text = codes.join("\n");
  return (
    <div className="space-y-4">
      <div className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 ring-1 ring-amber-200">
        Save these recovery codes somewhere safe, away from your phone. Each one signs you in once
        if you lose your authenticator. They are shown only now.
      </div>
      <ol
        ref={list}
        aria-label="Recovery codes"
        className="grid grid-cols-1 gap-x-6 gap-y-1.5 rounded-lg bg-slate-50 p-4 font-mono text-sm text-slate-800 ring-1 ring-slate-200 sm:grid-cols-2"
      >
        {codes.map((c) => (
          <li key={c} className="tabular-nums">
            {c}
          </li>
        ))}
      </ol>
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" onClick={() => void copy(text)}>
          {copied === "yes" ? "Copied" : "Copy codes"}
        </Button>
        <Button
          variant="secondary"
          onClick={() => {
            const url = URL.createObjectURL(new Blob([`${text}\n`], { type: "text/plain" }));
            const a = document.createElement("a");
            a.href = url;
            a.download = "portcullis-recovery-codes.txt";
            a.click();
            URL.revokeObjectURL(url);
          }}
        >
          Download
        </Button>
        <Button onClick={onDone}>I have saved them</Button>
      </div>
      {copied === "failed" ? (
        <p className="text-xs text-slate-500" aria-live="polite">
          The browser blocked the clipboard; the codes are selected — press Ctrl+C, or download
          them.
        </p>
      ) : null}
    </div>
  );
}
