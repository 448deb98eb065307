import type { Role } from "./role";

export type UserView = {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  lastLoginAt: string | null;
  createdAt: string;
  mfaEnabled: boolean;
  /** Failed sign-ins still counted against the account (backoff), and the wait they impose. */
  failedSignIns: number;
  signInDelaySeconds: number;
};

export type MeView = { id: string; email: string; name: string; role: Role };

export type SecurityView = { mfaEnabled: boolean; mfaRequired: boolean; recoveryCodesLeft: number };
