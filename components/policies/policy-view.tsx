import { cn } from "@/components/ui/cn";

/** Read-only YAML with line numbers; the lines of one rule can be marked. Text only, no HTML. */
export function PolicyView({
  yaml,
  highlight,
}: {
  yaml: string;
  highlight?: { startLine: number; endLine: number } | null;
}) {
  const lines = yaml.replace(/\n$/, "").split("\n");
  return (
    <div className="overflow-auto rounded-xl bg-slate-950 py-3 shadow-xs ring-1 ring-slate-800">
      <pre className="min-w-max font-mono text-[13px] leading-6" aria-label="Policy YAML">
        {lines.map((line, i) => {
          const n = i + 1;
          const marked = !!highlight && n >= highlight.startLine && n <= highlight.endLine;
          return (
            <div
              key={n}
              id={`L${n}`}
              data-highlighted={marked || undefined}
              className={cn(
                "flex pr-6",
                marked ? "bg-amber-400/20 shadow-[inset_3px_0_0_0_theme(colors.amber.400)]" : "",
              )}
            >
              <span
                className="w-12 shrink-0 pr-4 text-right text-slate-500 select-none"
                aria-hidden
              >
                {n}
              </span>
              <code
                className={cn(
                  line.trimStart().startsWith("#")
                    ? "text-slate-500"
                    : marked
                      ? "text-amber-100"
                      : "text-slate-200",
                )}
              >
                {line || " "}
              </code>
            </div>
          );
        })}
      </pre>
    </div>
  );
}
