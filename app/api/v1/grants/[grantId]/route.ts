import { revokeGrant, toGrantView } from "@/lib/services/grants";
import { route } from "@/lib/server/route";

export const DELETE = route<{ grantId: string }>({ auth: "editor" }, (ctx, _req, { params }) =>
  toGrantView(revokeGrant(ctx, { grantId: params.grantId })),
);
