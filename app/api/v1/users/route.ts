import { createUser, listUsers, toUserView, toUserViewWithThrottle } from "@/lib/services/users";
import { readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "admin" }, (ctx) =>
  listUsers(ctx).map((u) => toUserViewWithThrottle(ctx.db, u, ctx.now())),
);

export const POST = route({ auth: "admin" }, async (ctx, req) =>
  toUserView(await createUser(ctx, (await readJson(req)) as never)),
);
