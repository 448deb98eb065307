import { z } from "zod";

export const AUDIT_VIEWS = ["all", "decisions", "denied"] as const;
export const DECISIONS = ["allow", "deny", "approval_required"] as const;
/** Sorts are an allowlist mapped to fixed SQL; nothing from the request reaches ORDER BY. */
export const AUDIT_SORTS = ["newest", "oldest"] as const;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => (v ? v : undefined));

const optionalTime = z
  .union([z.string(), z.number()])
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === "") return undefined;
    const ms = typeof v === "number" || /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: "custom", message: "Not a valid time" });
      return z.NEVER;
    }
    return ms;
  });

/** Filters shared by the audit log, the denied-calls view, the export and the live stream. */
export const AuditFilterInput = z.object({
  view: z.enum(AUDIT_VIEWS).default("all"),
  from: optionalTime,
  to: optionalTime,
  server: optionalText(100),
  agent: optionalText(200),
  tool: optionalText(200),
  decision: z
    .enum(DECISIONS)
    .optional()
    .or(z.literal("").transform(() => undefined)),
  rule: optionalText(200),
  action: optionalText(100),
  q: optionalText(200),
});
export type AuditFilterInput = z.input<typeof AuditFilterInput>;
export type AuditFilter = z.output<typeof AuditFilterInput>;

export const ListAuditInput = AuditFilterInput.extend({
  sort: z.enum(AUDIT_SORTS).default("newest"),
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Also return the tool_call.outcome row of each decision on the page. */
  withOutcomes: z
    .union([z.boolean(), z.enum(["0", "1"])])
    .optional()
    .transform((v) => v === true || v === "1"),
});
export type ListAuditInput = z.input<typeof ListAuditInput>;

export const AuditStatsInput = z.object({
  minutes: z.coerce
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(60),
  server: optionalText(100),
  agent: optionalText(200),
});
export type AuditStatsInput = z.input<typeof AuditStatsInput>;

export const EXPORT_FORMATS = ["jsonl", "csv"] as const;

/** Parses URL search params into the filter object (empty values dropped). */
export function filtersFromSearch(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) if (v !== "") out[k] = v;
  return out;
}
