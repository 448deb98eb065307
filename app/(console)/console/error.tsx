"use client";

import { ErrorState } from "@/components/ui/states";

export default function ConsoleError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <div className="mx-auto max-w-xl py-16">
      <ErrorState
        title="This page failed to load"
        message={`Something went wrong on the server${error.digest ? ` (reference ${error.digest})` : ""}. The details are in the console log.`}
        onRetry={reset}
      />
    </div>
  );
}
