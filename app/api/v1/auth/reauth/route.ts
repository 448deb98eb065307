import { reauthenticate } from "@/lib/services/sessions";
import { readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

/** Confirms the password (and code) for this session; sensitive changes then go through. */
export const POST = route({ auth: "viewer" }, async (ctx, req, { session }) => {
  if (!session) throw new Error("route() guarantees a session here");
  const { until } = await reauthenticate(ctx, session.session.id, (await readJson(req)) as never);
  return { confirmedUntil: until.toISOString() };
});
