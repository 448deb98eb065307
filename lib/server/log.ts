import "server-only";

type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const threshold = ORDER[(process.env.PORTCULLIS_LOG_LEVEL as Level | undefined) ?? "info"] ?? 1;

function write(level: Level, fields: Record<string, unknown>, msg: string) {
  if (ORDER[level] < threshold) return;
  const err =
    fields.err instanceof Error
      ? { err: { name: fields.err.name, message: fields.err.message, stack: fields.err.stack } }
      : {};
  process.stderr.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields, ...err })}\n`,
  );
}

/** Structured lines on stderr. Never pass secrets (keys, passwords, cookies) in `fields`. */
export const log = {
  debug: (fields: Record<string, unknown>, msg: string) => write("debug", fields, msg),
  info: (fields: Record<string, unknown>, msg: string) => write("info", fields, msg),
  warn: (fields: Record<string, unknown>, msg: string) => write("warn", fields, msg),
  error: (fields: Record<string, unknown>, msg: string) => write("error", fields, msg),
};
