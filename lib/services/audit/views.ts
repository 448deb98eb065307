import type { AuditEvent } from "@/db/schema";
import type { Role } from "@/db/schema";
import { redactForViewer, VIEWER_MASK } from "@/lib/core/audit/redact";
import type { AuditEventView } from "@/lib/core/audit/views";

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Maps a row for the wire. Viewers get tool arguments masked here, on the server, so the
 * values never reach their browser; editors and admins see them as the audit setting stored them.
 */
export function toAuditEventView(row: AuditEvent, role: Role | "system"): AuditEventView {
  const mask = role === "viewer";
  const args = parseJson(row.arguments);
  return {
    seq: row.seq,
    id: row.id,
    occurredAt: new Date(row.occurredAt).toISOString(),
    source: row.source,
    actorType: row.actorType,
    actorId: row.actorId,
    actorLabel: row.actorLabel,
    action: row.action,
    server: row.server,
    tool: row.tool,
    decision: row.decision,
    cause: row.cause,
    rule: row.rule,
    reason: row.reason,
    message: row.message,
    policyVersion: row.policyVersion,
    arguments: mask && args !== null ? redactForViewer(args) : args,
    argumentsMasked: mask && args !== null,
    argumentsMode: row.argumentsMode,
    latencyMs: row.latencyMs,
    outcome: row.outcome,
    resultBytes: row.resultBytes,
    correlationId: row.correlationId,
    targetType: row.targetType,
    targetId: row.targetId,
    detail: mask ? maskDetail(parseJson(row.detail)) : parseJson(row.detail),
    requestId: row.requestId,
    remoteIp: row.remoteIp,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

// Approval rows copy the call's arguments into `detail`, and a refused malformed message keeps
// the raw head of its text there: viewers get both masked like arguments.
function maskDetail(detail: unknown): unknown {
  if (!detail || typeof detail !== "object" || Array.isArray(detail)) return detail;
  const d = detail as Record<string, unknown>;
  const masked: Record<string, unknown> = { ...d };
  if ("arguments" in d) masked.arguments = redactForViewer(d.arguments);
  const message = d.message;
  if (message && typeof message === "object" && !Array.isArray(message) && "head" in message)
    masked.message = { ...message, head: VIEWER_MASK };
  return masked;
}

export function roleOf(ctx: { actor: { type: string; role?: Role } }): Role | "system" {
  return ctx.actor.type === "user" && ctx.actor.role ? ctx.actor.role : "system";
}
