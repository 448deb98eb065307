/**
 * The TOTP secret as stored. Kept as its own seam so the at-rest encryption used for upstream
 * secrets can wrap it without touching the callers.
 */
export function sealTotpSecret(secret: string): string {
  return secret;
}

export function openTotpSecret(stored: string): string {
  return stored;
}
