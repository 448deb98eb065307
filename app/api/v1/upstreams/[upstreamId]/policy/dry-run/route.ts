import { dryRunCall } from "@/lib/services/simulation";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

/** Test a call against the policy in force or a draft (`draft`); nothing is written or forwarded. */
export const POST = route<{ upstreamId: string }>(
  { auth: "viewer" },
  async (ctx, req, { params }) =>
    dryRunCall(ctx, { ...objectBody(await readJson(req)), upstreamId: params.upstreamId } as never),
);
