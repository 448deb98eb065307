let token: string | null = null;

/** Set once by the console layout from the session; sent with every mutation. */
export function setCsrfToken(value: string | null): void {
  token = value;
}

export function getCsrfToken(): string | null {
  return token;
}
