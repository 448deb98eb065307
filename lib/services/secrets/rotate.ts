import { sqliteHandle } from "@/db/client";
import { AppError } from "@/lib/core/errors";
import { appendAudit } from "../audit/append";
import { requireAdmin, type ServiceContext, withTransaction } from "../context";
import {
  generateKey,
  KEY_ENV,
  keyFilePath,
  type Keyring,
  keyringFor,
  keyringOf,
  loadKeyring,
  readKeyFile,
  type SecretKey,
  setMemoryKeyring,
  writeKeyFile,
} from "./keyring";
import { resealTotpSecrets } from "../mfa/secret";
import { assertAllOpen, resealAllUpstreamSecrets } from "./upstream-secrets";

export type KeyRotation = {
  /** `file`: a new key was generated into the key file; `env`: the key in PORTCULLIS_SECRETS_KEY. */
  source: "file" | "env";
  keyId: string;
  retiredKeyIds: string[];
  values: number;
  keyFile: string | null;
};

const ringOf = (keys: SecretKey[], source: string): Keyring => {
  const ring = keyringOf(keys, source);
  if (!ring) throw new AppError("INTERNAL", "no secrets key");
  return ring;
};

/**
 * Moves every upstream secret to a new key. With the key file (the default), a new key is put
 * first in the file with the old ones kept after it, every value is re-sealed in one IMMEDIATE
 * transaction, and only then are the old keys dropped: a crash at any point leaves a file that
 * opens every stored value. With PORTCULLIS_SECRETS_KEY set, the operator has put the new key
 * there (and the old one in PORTCULLIS_SECRETS_KEY_PREVIOUS); the values are re-sealed under it.
 * Admins and the operator's CLI only. Audits secrets.rotate_key with key ids, never keys.
 */
export function rotateSecretsKey(ctx: ServiceContext): KeyRotation {
  requireAdmin(ctx);
  const handle = sqliteHandle(ctx.db);
  const loaded = loadKeyring(handle.name, { create: false });
  let rotation: Omit<KeyRotation, "values">;
  let keyring: Keyring;
  let finish: () => void;
  if (loaded?.source === KEY_ENV) {
    keyring = loaded;
    rotation = {
      source: "env",
      keyId: loaded.current.id,
      retiredKeyIds: [...loaded.all.keys()].filter((id) => id !== loaded.current.id),
      keyFile: null,
    };
    finish = () => keyringFor(handle, { create: false, reload: true });
  } else {
    const next = generateKey();
    const memory = handle.name === "" || handle.name === ":memory:";
    const file = memory ? null : keyFilePath(handle.name);
    const old = file
      ? readKeyFile(file)
      : [...(keyringFor(handle, { create: true })?.all.values() ?? [])];
    // Nothing is written unless every stored value opens with the keys at hand.
    assertAllOpen(ctx.db, old.length ? ringOf(old, file ?? "memory") : null);
    if (file) writeKeyFile(file, [next, ...old]);
    keyring = ringOf([next, ...old], file ?? "memory");
    rotation = {
      source: "file",
      keyId: next.id,
      retiredKeyIds: old.map((k) => k.id),
      keyFile: file,
    };
    finish = () => {
      if (file) writeKeyFile(file, [next]);
      else setMemoryKeyring(handle, ringOf([next], "memory"));
      keyringFor(handle, { create: false, reload: true });
    };
  }
  const values = withTransaction(ctx, (tx) => {
    const n = resealAllUpstreamSecrets(tx, keyring) + resealTotpSecrets(tx, keyring);
    appendAudit(tx, ctx, {
      action: "secrets.rotate_key",
      target: { type: "secrets_key", id: rotation.keyId },
      extra: { source: rotation.source, retiredKeyIds: rotation.retiredKeyIds, values: n },
    });
    return n;
  });
  finish();
  return { ...rotation, values };
}
