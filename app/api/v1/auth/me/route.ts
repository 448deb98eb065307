import { toUserView } from "@/lib/services/users";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer", beforeMfa: true }, (_ctx, _req, { session }) => ({
  user: session ? toUserView(session.user) : null,
  csrfToken: session?.session.csrfToken ?? null,
}));
