import type { Role } from "./role";

export type UserView = {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  lastLoginAt: string | null;
  createdAt: string;
};

export type MeView = { id: string; email: string; name: string; role: Role };
