import { unlockUser } from "@/lib/services/users";
import { route } from "@/lib/server/route";

/** Clears the account's sign-in backoff. */
export const POST = route<{ userId: string }>({ auth: "admin" }, (ctx, _req, { params }) => {
  unlockUser(ctx, params.userId);
  return { unlocked: true };
});
