import type { ClientConfigEnvironment } from "@/lib/core/client-config/generate";
import { getConsoleEnv } from "@/lib/env";
import { launcherSettings } from "@/lib/services/client-config";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/**
 * Where clients connect: the gateway's URL and, for stdio clients, node, the launcher and the
 * database by absolute path on this machine. Signed-in users only (paths say where things live).
 */
export const GET = route({ auth: "viewer" }, (): ClientConfigEnvironment => {
  const env = getConsoleEnv();
  const host = env.PORTCULLIS_HOST.includes(":") ? `[${env.PORTCULLIS_HOST}]` : env.PORTCULLIS_HOST;
  return {
    gatewayUrl: env.PORTCULLIS_GATEWAY_URL ?? `http://${host}:${env.PORTCULLIS_GATEWAY_PORT}`,
    launcher: launcherSettings(env.PORTCULLIS_DB),
  };
});
