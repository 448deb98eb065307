import { toUserView, updateUser } from "@/lib/services/users";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const PATCH = route<{ userId: string }>({ auth: "admin" }, async (ctx, req, { params }) =>
  toUserView(updateUser(ctx, { ...objectBody(await readJson(req)), id: params.userId } as never)),
);
