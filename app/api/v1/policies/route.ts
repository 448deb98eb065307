import { listPolicySummaries } from "@/lib/services/policies";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer" }, (ctx) => listPolicySummaries(ctx));
