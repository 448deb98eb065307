import { cn } from "./cn";

export type Column =
  string | { label: string; hidden?: boolean; align?: "right"; nowrap?: boolean };

/** The header row every console table shares; `hidden` labels stay for screen readers. */
export function TableHead({ columns }: { columns: readonly Column[] }) {
  return (
    <thead className="bg-slate-50 text-xs text-slate-500">
      <tr>
        {columns.map((column) => {
          const c = typeof column === "string" ? { label: column } : column;
          return (
            <th
              key={c.label}
              scope="col"
              className={cn(
                "px-4 py-2 font-medium",
                c.align === "right" && "text-right",
                c.nowrap && "whitespace-nowrap",
              )}
            >
              {c.hidden ? <span className="sr-only">{c.label}</span> : c.label}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}
