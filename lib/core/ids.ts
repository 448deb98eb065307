const PREFIX = {
  user: "usr",
  session: "ses",
  agent: "agt",
  agentKey: "key",
  upstream: "ups",
  tool: "tol",
  policy: "pol",
  policyVersion: "pv",
  grant: "grt",
  approval: "apr",
  event: "evt",
  request: "req",
  contact: "msg",
  instance: "ins",
  reservation: "rsv",
  recoveryCode: "rcv",
  challenge: "chl",
} as const;

export type IdKind = keyof typeof PREFIX;

// No 0/1/i/l/o look-alikes; 31 symbols, 20 characters ≈ 99 bits.
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
const LIMIT = 256 - (256 % ALPHABET.length);

/** Prefixed random id. Rejection sampling keeps every symbol equally likely. */
export function newId(kind: IdKind, length = 20): string {
  return `${PREFIX[kind]}_${randomString(length)}`;
}

// Random bytes are drawn 4 KiB at a time: one call into the CSPRNG per ~100 ids, not per id.
const pool = new Uint8Array(4096);
let used = pool.length;

function randomByte(): number {
  if (used === pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  const b = pool[used] ?? 0;
  pool[used++] = 0;
  return b;
}

export function randomString(length: number): string {
  let out = "";
  while (out.length < length) {
    const b = randomByte();
    if (b < LIMIT) out += ALPHABET[b % ALPHABET.length];
  }
  return out;
}
