import fs from "node:fs";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, Tool } from "@modelcontextprotocol/sdk/types.js";

import { classifyTool, renderStarterPolicy } from "@/lib/core/risk";
import { parseHeaders } from "../run";
import { CliError } from "../runtime";
import { HttpLink, StdioChildLink, type UpstreamLink } from "../upstream/links";

/** Lets the SDK client drive one of the proxy's upstream links (process group, no orphans). */
class LinkTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;

  constructor(private readonly link: UpstreamLink) {
    link.onmessage = (m) => this.onmessage?.(m as unknown as JSONRPCMessage);
    link.onclose = () => this.onclose?.();
  }

  start(): Promise<void> {
    return this.link.start();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.link.send(message);
  }

  close(): Promise<void> {
    return this.link.close();
  }

  setProtocolVersion(version: string): void {
    this.link.setProtocolVersion?.(version);
  }
}

export type ScanOptions = {
  command: string[];
  upstream?: string;
  header: string[];
  output?: string;
  json?: boolean;
  force?: boolean;
};

/** `portcullis scan`: lists a server's tools with their risk and writes a starter policy. */
export async function scanCommand(opts: ScanOptions): Promise<number> {
  if (opts.upstream && opts.command.length > 0)
    throw new CliError("use either --upstream URL or a command, not both", 2);
  if (!opts.upstream && opts.command.length === 0)
    throw new CliError("say what to scan: a server command (after --) or --upstream URL", 2);
  if (opts.output && fs.existsSync(opts.output) && !opts.force) {
    throw new CliError(`${opts.output} already exists; pass --force to overwrite it`, 2);
  }
  let link: UpstreamLink;
  if (opts.upstream) link = new HttpLink(opts.upstream, parseHeaders(opts.header));
  else {
    const [command, ...args] = opts.command as [string, ...string[]];
    link = new StdioChildLink({ command, args });
  }
  const client = new Client({ name: "portcullis-scan", version: "1.0.0" }, { capabilities: {} });
  let tools: Tool[] = [];
  let serverName = "";
  try {
    await client.connect(new LinkTransport(link));
    serverName = client.getServerVersion()?.name ?? "";
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const res = await client.listTools(cursor ? { cursor } : {});
      tools = tools.concat(res.tools);
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
  } catch (err) {
    throw new CliError(`cannot list the server's tools: ${(err as Error).message}`, 1);
  } finally {
    await client.close().catch(() => {});
  }

  const rows = tools.map((tool) => ({ tool, risk: classifyTool(tool) }));
  if (opts.json) {
    const out = rows.map(({ tool, risk }) => ({
      name: tool.name,
      description: tool.description ?? null,
      ...risk,
    }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const width = Math.max(4, ...rows.map((r) => r.tool.name.length));
    process.stdout.write(`${serverName ? `${serverName}: ` : ""}${rows.length} tools\n\n`);
    process.stdout.write(`${"TOOL".padEnd(width)}  ${"RISK".padEnd(22)}  EVIDENCE\n`);
    for (const { tool, risk } of rows) {
      process.stdout.write(
        `${tool.name.padEnd(width)}  ${`${risk.category} (${risk.level})`.padEnd(22)}  ${risk.evidence.join("; ")}\n`,
      );
    }
  }
  if (opts.output) {
    const text = renderStarterPolicy(
      tools,
      serverName ? { description: `Starter policy for ${serverName}` } : {},
    );
    fs.writeFileSync(opts.output, text);
    process.stderr.write(
      `starter policy written to ${opts.output}; review it, then check it with: portcullis validate -c ${opts.output}\n`,
    );
  }
  return 0;
}
