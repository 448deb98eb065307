import { createUser, listUsers, toUserView, toUserViewWithThrottle } from "@/lib/services/users";
import { readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "admin" }, (ctx) =>
  listUsers(ctx).map((u) => toUserViewWithThrottle(ctx.db, u, ctx.now())),
);

/** An editor or admin needs a fresh password confirmation from this session; a viewer does not. */
export const POST = route({ auth: "admin" }, async (ctx, req, { session }) =>
  toUserView(await createUser(ctx, (await readJson(req)) as never, session?.session.id)),
);
