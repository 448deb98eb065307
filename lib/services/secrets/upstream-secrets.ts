import { eq } from "drizzle-orm";

import { type Db, sqliteHandle, type Tx } from "@/db/client";
import { type Upstream, upstreams } from "@/db/schema";
import { isSealed, open, seal } from "./cipher";
import { type Keyring, keyringFor, keyringToOpen } from "./keyring";

export type SecretMaps = { env: Record<string, string>; headers: Record<string, string> };
type Field = keyof SecretMaps;
const FIELDS: readonly Field[] = ["env", "headers"];

// Bound into each value, so a sealed value only opens in its own row, field and name.
const context = (upstreamId: string, field: Field, name: string) =>
  `upstream ${upstreamId} ${field} ${name}`;

function mapValues(
  upstreamId: string,
  field: Field,
  values: Record<string, string>,
  fn: (value: string, context: string) => string,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, v]) => [name, fn(v, context(upstreamId, field, name))]),
  );
}

/**
 * Seals env and header values for storage under the current key (read again from its source,
 * so a rotation by another process is honoured). Values already sealed are kept as they are.
 */
export function sealUpstreamSecrets<T extends Partial<SecretMaps>>(
  db: Db | Tx,
  upstreamId: string,
  maps: T,
): T {
  const present = FIELDS.filter((f) => maps[f] && Object.keys(maps[f]).length > 0);
  if (present.length === 0) return maps;
  const keyring = keyringFor(sqliteHandle(db), { create: true, reload: true });
  if (!keyring) throw new Error("no secrets key could be loaded or created");
  const out = { ...maps };
  for (const f of present) {
    out[f] = mapValues(upstreamId, f, maps[f] ?? {}, (v, ctx) =>
      isSealed(v) ? v : seal(keyring.current, v, ctx),
    ) as T[typeof f];
  }
  return out;
}

/**
 * The row with its env and header values in clear, for launching or connecting the upstream.
 * Only the gateway's loaders call it; nothing that answers a person does. A value written
 * before secrets were sealed (sealed at the next start) is passed through.
 */
export function openUpstreamSecrets(db: Db | Tx, row: Upstream): Upstream {
  const values = [...Object.values(row.env), ...Object.values(row.headers)];
  if (!values.some(isSealed)) return row;
  const keyring = keyringToOpen(sqliteHandle(db), values);
  const openField = (f: Field) =>
    mapValues(row.id, f, row[f], (v, ctx) => (isSealed(v) ? open(keyring, v, ctx) : v));
  return { ...row, env: openField("env"), headers: openField("headers") };
}

/** Env and header values of a stored row in clear (for comparing an edit with what is stored). */
export function openSecretMaps(db: Db | Tx, row: Upstream): SecretMaps {
  const opened = openUpstreamSecrets(db, row);
  return { env: opened.env, headers: opened.headers };
}

/**
 * Seals every env and header value still stored in clear (rows written before secrets were
 * sealed, or by an older version). Safe to run at every start and from several processes: it
 * reads first and only takes the write lock when something is left to seal. Returns the number
 * of values sealed.
 */
export function sealStoredUpstreamSecrets(db: Db): number {
  const pending = (rows: Upstream[]) =>
    rows.filter((r) => FIELDS.some((f) => Object.values(r[f]).some((v) => !isSealed(v))));
  if (pending(db.select().from(upstreams).all()).length === 0) return 0;
  return db.transaction(
    (tx) => {
      let sealed = 0;
      for (const row of pending(tx.select().from(upstreams).all())) {
        const next = sealUpstreamSecrets(tx, row.id, { env: row.env, headers: row.headers });
        for (const f of FIELDS) sealed += Object.values(row[f]).filter((v) => !isSealed(v)).length;
        tx.update(upstreams).set(next).where(eq(upstreams.id, row.id)).run();
      }
      return sealed;
    },
    { behavior: "immediate" },
  );
}

/** Throws (naming the first one) unless every sealed value opens with a key of `keyring`. */
export function assertAllOpen(db: Db | Tx, keyring: Keyring | null): void {
  for (const row of db.select().from(upstreams).all())
    for (const f of FIELDS)
      mapValues(row.id, f, row[f], (v, ctx) => (isSealed(v) ? open(keyring, v, ctx) : v));
}

/**
 * Re-seals every value under `keyring.current`, opening each with any key of `keyring`; values
 * in clear are sealed too. Runs in the caller's transaction. Returns the number of values.
 */
export function resealAllUpstreamSecrets(tx: Tx, keyring: Keyring): number {
  let count = 0;
  for (const row of tx.select().from(upstreams).all()) {
    const next: Partial<SecretMaps> = {};
    for (const f of FIELDS) {
      next[f] = mapValues(row.id, f, row[f], (v, ctx) => {
        count += 1;
        return seal(keyring.current, isSealed(v) ? open(keyring, v, ctx) : v, ctx);
      });
    }
    tx.update(upstreams).set(next).where(eq(upstreams.id, row.id)).run();
  }
  return count;
}
