import { decideApproval } from "@/lib/services/approvals";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

export const POST = route<{ approvalId: string }>(
  { auth: "editor" },
  async (ctx, req, { params }) =>
    decideApproval(ctx, { ...objectBody(await readJson(req)), id: params.approvalId } as never),
);
