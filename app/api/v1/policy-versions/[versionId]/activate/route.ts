import { activatePolicyVersion } from "@/lib/services/policies";
import { route } from "@/lib/server/route";

export const POST = route<{ versionId: string }>({ auth: "editor" }, (ctx, _req, { params }) => {
  const policy = activatePolicyVersion(ctx, { policyVersionId: params.versionId });
  return { policyId: policy.id, activeVersionId: policy.activeVersionId };
});
