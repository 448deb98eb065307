import type { Db } from "@/db/client";
import { rotateSecretsKey } from "@/lib/services/secrets";
import { cliContext } from "./audit";

/**
 * `secrets rotate-key`: every upstream env and header value re-sealed under a new key. Prints
 * key ids, never keys.
 */
export function secretsRotateKey(db: Db): number {
  const r = rotateSecretsKey(cliContext(db));
  const retired = r.retiredKeyIds.length ? r.retiredKeyIds.join(", ") : "none";
  const lines =
    r.source === "file"
      ? [
          `new key ${r.keyId}${r.keyFile ? ` written to ${r.keyFile}` : ""}`,
          `${r.values} upstream secret value${r.values === 1 ? "" : "s"} re-sealed; retired keys: ${retired}`,
          "Running gateways and consoles pick the new key up on their own; back the key file up again.",
        ]
      : [
          `${r.values} upstream secret value${r.values === 1 ? "" : "s"} re-sealed under PORTCULLIS_SECRETS_KEY (key ${r.keyId})`,
          r.retiredKeyIds.length
            ? `No value needs the other keys (${retired}) any more: remove PORTCULLIS_SECRETS_KEY_PREVIOUS (and any old key file) and restart.`
            : "No other key was configured.",
        ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
