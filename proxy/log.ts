type Level = "debug" | "info" | "warn" | "error";
const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

let threshold: Level = "info";

export function setLogLevel(level: Level): void {
  threshold = level;
}

function write(level: Level, message: string): void {
  if (RANK[level] < RANK[threshold]) return;
  // stdout is the MCP channel in `portcullis run`: logs only ever go to stderr.
  process.stderr.write(`portcullis ${level}: ${message}\n`);
}

export const log = {
  debug: (m: string) => write("debug", m),
  info: (m: string) => write("info", m),
  warn: (m: string) => write("warn", m),
  error: (m: string) => write("error", m),
};
