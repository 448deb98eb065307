import { checkGrantForCall } from "@/lib/services/simulation";
import { objectBody, readJson } from "@/lib/server/body";
import { route } from "@/lib/server/route";

/** Would this grant let the refused call through? Re-decides it with the gateway's engine; writes nothing. */
export const POST = route({ auth: "editor" }, async (ctx, req) =>
  checkGrantForCall(ctx, objectBody(await readJson(req)) as never),
);
