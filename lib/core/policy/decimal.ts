/** An exact decimal: `digits / 10^scale`. Counter amounts never go through floating point. */
export type Decimal = { readonly digits: bigint; readonly scale: number };

const PLAIN = /^(-?)(\d+)(?:\.(\d+))?$/;
const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;
const TEN = 10n;

export const ZERO: Decimal = { digits: 0n, scale: 0 };

function build(sign: string, whole: string, fraction: string, exponent: number): Decimal {
  let digits = BigInt(whole + fraction);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    digits *= TEN ** BigInt(-scale);
    scale = 0;
  }
  return normalize({ digits: sign === "-" ? -digits : digits, scale });
}

/** Parses a plain decimal string ("12", "-0.5"); anything else (exponents, spaces, "") gives null. */
export function parseDecimal(text: string): Decimal | null {
  const m = PLAIN.exec(text);
  if (!m) return null;
  return build(m[1] ?? "", m[2] ?? "0", m[3] ?? "", 0);
}

/** The exact decimal a finite JS number prints as (its shortest round-trip form); null otherwise. */
export function decimalFromNumber(value: number): Decimal | null {
  if (!Number.isFinite(value)) return null;
  if (Number.isSafeInteger(value)) return { digits: BigInt(value), scale: 0 };
  const m = NUMBER_TEXT.exec(String(value));
  if (!m) return null;
  return build(m[1] ?? "", m[2] ?? "0", m[3] ?? "", Number(m[4] ?? "0"));
}

function normalize(d: Decimal): Decimal {
  let { digits, scale } = d;
  while (scale > 0 && digits % TEN === 0n) {
    digits /= TEN;
    scale -= 1;
  }
  return scale === d.scale ? d : { digits, scale };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.digits, b.digits, a.scale];
  if (a.scale > b.scale) return [a.digits, b.digits * TEN ** BigInt(a.scale - b.scale), a.scale];
  return [a.digits * TEN ** BigInt(b.scale - a.scale), b.digits, b.scale];
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalize({ digits: x + y, scale });
}

export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalize({ digits: x - y, scale });
}

export function compareDecimal(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Plain decimal text without exponent or trailing zeros; round-trips through parseDecimal. */
export function formatDecimal(d: Decimal): string {
  const negative = d.digits < 0n;
  const text = (negative ? -d.digits : d.digits).toString();
  if (d.scale === 0) return negative ? `-${text}` : text;
  const padded = text.padStart(d.scale + 1, "0");
  const cut = padded.length - d.scale;
  return `${negative ? "-" : ""}${padded.slice(0, cut)}.${padded.slice(cut)}`;
}
