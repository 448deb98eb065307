import { createHash } from "node:crypto";

import { and, eq } from "drizzle-orm";

import type { Db, Tx } from "@/db/client";
import { type NewTool, type Tool, tools } from "@/db/schema";
import { canonicalJson } from "@/lib/core/canonical-json";
import { newId } from "@/lib/core/ids";
import { classifyTool } from "@/lib/core/risk";
import { appendEvents } from "../audit";
import { bumpConfigVersion } from "../config-version";
import { withTransaction } from "../context";

/** A tool as an upstream advertises it in tools/list (name, description, inputSchema, …). */
export type ListedTool = { name: string; [key: string]: unknown };

export type ToolStatus = Tool["status"];

export type ListingResult = {
  /** Status of every listed tool after this listing. */
  statuses: Map<string, ToolStatus>;
  /** Tools this listing put into quarantine. */
  newlyQuarantined: string[];
};

const LAST_SEEN_RESOLUTION_MS = 60_000;

/** SHA-256 of the canonical JSON of the whole definition: any change to it changes the hash. */
export function toolDefinitionHash(definition: ListedTool): string {
  return createHash("sha256").update(canonicalJson(definition)).digest("hex");
}

function riskColumns(
  definition: ListedTool,
): Pick<NewTool, "riskCategory" | "riskLevel" | "riskEvidence" | "riskConfidence"> {
  const risk = classifyTool(definition as Parameters<typeof classifyTool>[0]);
  return {
    riskCategory: risk.category,
    riskLevel: risk.level,
    riskEvidence: [...risk.evidence],
    riskConfidence: risk.confidence,
  };
}

type Plan =
  | { kind: "insert"; def: ListedTool; hash: string }
  | { kind: "quarantine"; row: Tool; def: ListedTool; hash: string }
  | { kind: "touch"; row: Tool };

function plan(existing: Map<string, Tool>, listed: readonly ListedTool[], now: number): Plan[] {
  const out: Plan[] = [];
  for (const def of listed) {
    const hash = toolDefinitionHash(def);
    const row = existing.get(def.name);
    if (!row) out.push({ kind: "insert", def, hash });
    else if (
      hash !== row.approvedHash &&
      !(row.status === "quarantined" && row.pendingHash === hash)
    ) {
      out.push({ kind: "quarantine", row, def, hash });
    } else if (now - row.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS)
      out.push({ kind: "touch", row });
  }
  return out;
}

/**
 * Records an upstream's tools/list. A tool seen for the first time is pinned (approved hash =
 * its hash, status `new`). A known tool whose definition differs from the pinned one is
 * quarantined — hidden and refused until `acceptToolChange` — with a tool.quarantine audit row
 * and a config_version bump so every gateway enforces it on its next call. Listings that change
 * nothing cost one read.
 */
export function recordToolListing(
  db: Db,
  input: {
    upstreamId: string;
    server: string;
    tools: readonly ListedTool[];
    now: number;
    source: "gateway" | "stdio" | "cli";
  },
): ListingResult {
  const byName = (rows: Tool[]) => new Map(rows.map((r) => [r.name, r]));
  const read = (d: Db | Tx) =>
    d.select().from(tools).where(eq(tools.upstreamId, input.upstreamId)).all();
  let existing = byName(read(db));
  const newlyQuarantined: string[] = [];
  if (plan(existing, input.tools, input.now).length > 0) {
    withTransaction({ db }, (tx) => {
      existing = byName(read(tx));
      const at = new Date(input.now);
      let bump = false;
      for (const step of plan(existing, input.tools, input.now)) {
        if (step.kind === "insert") {
          const row = tx
            .insert(tools)
            .values({
              id: newId("tool"),
              upstreamId: input.upstreamId,
              name: step.def.name,
              description: typeof step.def.description === "string" ? step.def.description : null,
              definition: step.def,
              definitionHash: step.hash,
              approvedHash: step.hash,
              status: "new",
              ...riskColumns(step.def),
              firstSeenAt: at,
              lastSeenAt: at,
            })
            .onConflictDoNothing()
            .returning()
            .get();
          if (row) existing.set(row.name, row);
        } else if (step.kind === "quarantine") {
          const row = tx
            .update(tools)
            .set({
              status: "quarantined",
              pendingDefinition: step.def,
              pendingHash: step.hash,
              quarantinedAt: step.row.quarantinedAt ?? at,
              lastSeenAt: at,
            })
            .where(and(eq(tools.id, step.row.id)))
            .returning()
            .get();
          if (row) existing.set(row.name, row);
          bump = true;
          newlyQuarantined.push(step.row.name);
          appendEvents(tx, [
            {
              id: newId("event"),
              occurredAt: input.now,
              source: input.source,
              actorType: "system",
              actorId: null,
              actorLabel: "tool-inventory",
              action: "tool.quarantine",
              server: input.server,
              tool: step.row.name,
              reason: "definition differs from the approved definition",
              targetType: "tool",
              targetId: step.row.id,
              detail: canonicalJson({ approvedHash: step.row.approvedHash, newHash: step.hash }),
            },
          ]);
        } else {
          // Re-rated as it is touched, so counts by risk follow classifier improvements.
          tx.update(tools)
            .set({ lastSeenAt: at, ...riskColumns(step.row.definition as ListedTool) })
            .where(eq(tools.id, step.row.id))
            .run();
        }
      }
      if (bump) bumpConfigVersion(tx, at);
    });
  }
  const statuses = new Map<string, ToolStatus>();
  for (const def of input.tools) statuses.set(def.name, existing.get(def.name)?.status ?? "new");
  return { statuses, newlyQuarantined };
}
