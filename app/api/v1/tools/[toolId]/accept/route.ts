import { acceptToolChange } from "@/lib/services/inventory";
import { route } from "@/lib/server/route";

/** Pins a quarantined tool's pending definition; it is listed and callable again. */
export const POST = route<{ toolId: string }>({ auth: "admin" }, (ctx, _req, { params }) =>
  acceptToolChange(ctx, { toolId: params.toolId }),
);
