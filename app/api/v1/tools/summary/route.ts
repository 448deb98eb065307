import { summarizeUpstreamInventories } from "@/lib/services/upstreams";
import { route } from "@/lib/server/route";

export const GET = route({ auth: "viewer" }, (ctx) => summarizeUpstreamInventories(ctx));
