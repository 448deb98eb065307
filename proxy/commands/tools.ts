import type { Db } from "@/db/client";
import type { Tool } from "@/db/schema";
import { acceptToolChange, findTool, listTools } from "@/lib/services/inventory";
import { CliError } from "../runtime";
import { cliContext } from "./audit";

export function toolsList(
  db: Db,
  opts: { server?: string; status?: string; json?: boolean },
): number {
  const views = listTools(cliContext(db), {
    ...(opts.server ? { server: opts.server } : {}),
    ...(opts.status ? { status: opts.status as Tool["status"] } : {}),
  });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
    return 0;
  }
  if (views.length === 0) {
    process.stdout.write(
      "no tools recorded yet (they are recorded when a client lists them through the gateway)\n",
    );
    return 0;
  }
  const width = Math.max(...views.map((v) => `${v.server}/${v.name}`.length));
  for (const v of views) {
    process.stdout.write(
      `${`${v.server}/${v.name}`.padEnd(width)}  ${v.status.padEnd(11)}  ${`${v.riskCategory} (${v.riskLevel})`.padEnd(22)}  ${v.approvedHash.slice(0, 12)}\n`,
    );
  }
  return 0;
}

export function toolsAccept(db: Db, server: string, name: string): number {
  const ctx = cliContext(db);
  const tool = findTool(ctx, server, name);
  if (!tool) throw new CliError(`no tool "${name}" is recorded for server "${server}"`, 1);
  const view = acceptToolChange(ctx, { toolId: tool.id });
  process.stdout.write(
    `${server}/${name} accepted: now pinned to ${view.approvedHash.slice(0, 12)} and callable again\n`,
  );
  return 0;
}
