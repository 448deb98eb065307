import { canonicalJson } from "../canonical-json";

/** The settings that decide what the gateway runs or where it connects. */
export const LAUNCH_FIELDS = ["command", "args", "env", "url"] as const;
type LaunchField = (typeof LAUNCH_FIELDS)[number];

/**
 * The launch settings a change would alter. Env counts (PATH and friends choose which
 * executable a command name runs); values are stored sealed, so any env given counts.
 */
export function launchChanges(
  before: Partial<Record<Exclude<LaunchField, "env">, unknown>>,
  patch: Partial<Record<LaunchField, unknown>>,
): LaunchField[] {
  return LAUNCH_FIELDS.filter(
    (f) =>
      patch[f] !== undefined &&
      (f === "env" || canonicalJson(patch[f]) !== canonicalJson(before[f] ?? null)),
  );
}
