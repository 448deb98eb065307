/** Where a generated configuration points: the gateway, and the launcher for stdio clients. */
export type ClientConfigSettings = {
  /** The upstream server's name, as in `/mcp/<server>` and `run --server <server>`. */
  server: string;
  /** The gateway's base URL, e.g. `http://127.0.0.1:7400`. */
  gatewayUrl: string;
  /** The agent key; null puts a placeholder where it goes (keys are shown once). */
  key: string | null;
  /** Absolute paths of node, `bin/portcullis.mjs` and the database the console uses. */
  launcher: { node: string; script: string; db: string };
};

/** What the console knows about this installation; the key and the server come from the page. */
export type ClientConfigEnvironment = {
  gatewayUrl: string;
  /** null when the launcher cannot be found from the console's folder. */
  launcher: ClientConfigSettings["launcher"] | null;
};

/** Stand-ins for documentation pages, where this machine's paths are not shown. */
export const EXAMPLE_ENVIRONMENT = {
  gatewayUrl: "http://127.0.0.1:7400",
  launcher: {
    node: "node",
    script: "/path/to/portcullis/bin/portcullis.mjs",
    db: "/home/you/.portcullis/portcullis.db",
  },
} as const satisfies ClientConfigEnvironment;

export type ClientConfigTarget = "claude-desktop" | "claude-code" | "cursor" | "http" | "stdio";

export type ClientConfig = {
  target: ClientConfigTarget;
  label: string;
  /** The file the snippet goes in, when the client reads one. */
  file: string | null;
  /** One sentence on where it goes and how it connects. */
  hint: string;
  text: string;
};

export const KEY_PLACEHOLDER = "pcs_PASTE_THE_AGENT_KEY_HERE";

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** A POSIX shell word: bare when it is safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function gatewayEndpoint(gatewayUrl: string, server: string): string {
  return `${gatewayUrl.replace(/\/+$/, "")}/mcp/${encodeURIComponent(server)}`;
}

/**
 * The stdio entry: the client spawns node with the launcher by absolute path (clients spawn from
 * their own folder, and the package is not published, so `npx portcullis` does not resolve
 * there); the proxy reads the server, its policy and the agent's grants from the database.
 */
export function stdioLaunch(s: ClientConfigSettings) {
  return {
    command: s.launcher.node,
    args: [s.launcher.script, "run", "--server", s.server],
    env: { PORTCULLIS_DB: s.launcher.db, PORTCULLIS_AGENT_KEY: s.key ?? KEY_PLACEHOLDER },
  };
}

/**
 * Every ready-made configuration for one agent and one server. Pure: the same function renders
 * the console's snippets and the quick start page's.
 */
export function clientConfigs(s: ClientConfigSettings): ClientConfig[] {
  const url = gatewayEndpoint(s.gatewayUrl, s.server);
  const authorization = `Bearer ${s.key ?? KEY_PLACEHOLDER}`;
  const stdio = stdioLaunch(s);
  const http = { url, headers: { Authorization: authorization } };
  return [
    {
      target: "claude-desktop",
      label: "Claude Desktop",
      file: "claude_desktop_config.json",
      hint: "Claude Desktop starts local servers over stdio: it runs the Portcullis launcher, which enforces this server's policy for the agent.",
      text: json({ mcpServers: { [s.server]: stdio } }),
    },
    {
      target: "claude-code",
      label: "Claude Code",
      file: ".mcp.json",
      hint: "In the project's root folder; Claude Code connects to the gateway over Streamable HTTP.",
      text: json({ mcpServers: { [s.server]: { type: "http", ...http } } }),
    },
    {
      target: "cursor",
      label: "Cursor",
      file: ".cursor/mcp.json",
      hint: "In the project (or ~/.cursor/mcp.json for every project); Cursor connects to the gateway over Streamable HTTP.",
      text: json({ mcpServers: { [s.server]: http } }),
    },
    {
      target: "http",
      label: "Streamable HTTP",
      file: null,
      hint: "Any client that speaks Streamable HTTP: this URL, with the agent key as a bearer token.",
      text: `URL: ${url}\nAuthorization: ${authorization}`,
    },
    {
      target: "stdio",
      label: "stdio command",
      file: null,
      hint: "Any client that starts servers over stdio: this command, with these two variables set.",
      text: [
        ...Object.entries(stdio.env).map(([k, v]) => `${k}=${shellWord(v)}`),
        ...[stdio.command, ...stdio.args].map(shellWord),
      ].join(" \\\n  "),
    },
  ];
}
