import { Secret, TOTP } from "otpauth";

const ISSUER = "Portcullis";
const PERIOD_S = 30;

/** A new random TOTP secret (160 bits, the RFC 4226 recommendation), base32-encoded. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app reads from the enrolment QR code. */
export function totpUri(secret: string, email: string): string {
  return new TOTP({
    issuer: ISSUER,
    label: email,
    secret: Secret.fromBase32(secret),
    period: PERIOD_S,
  }).toString();
}

/**
 * The time step a six-digit code belongs to (the current one or one step either side, for clock
 * drift), or null when it matches none. The caller refuses steps at or before the last one
 * accepted, so a code seen over someone's shoulder cannot be replayed.
 */
export function totpStep(secret: string, code: string, now: Date): number | null {
  const token = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(token)) return null;
  const delta = TOTP.validate({
    token,
    secret: Secret.fromBase32(secret),
    period: PERIOD_S,
    timestamp: now.getTime(),
    window: 1,
  });
  if (delta === null) return null;
  return TOTP.counter({ period: PERIOD_S, timestamp: now.getTime() }) + delta;
}
