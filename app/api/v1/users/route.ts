import { createUser, listUsers, toUserView } from "@/lib/services/users";
import { readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "admin" }, (ctx) => listUsers(ctx).map(toUserView));

export const POST = route({ auth: "admin" }, async (ctx, req) =>
  toUserView(await createUser(ctx, (await readJson(req)) as never)),
);
