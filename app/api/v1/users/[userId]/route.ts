import { toUserView, updateUser } from "@/lib/services/users";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

/** A promotion or re-enabling needs a fresh password confirmation from this session. */
export const PATCH = route<{ userId: string }>(
  { auth: "admin" },
  async (ctx, req, { params, session }) =>
    toUserView(
      updateUser(
        ctx,
        { ...objectBody(await readJson(req)), id: params.userId } as never,
        session?.session.id,
      ),
    ),
);
