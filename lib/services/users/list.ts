import { asc } from "drizzle-orm";

import { type User, users } from "@/db/schema";
import { requireAdmin, type ServiceContext } from "../context";

/** Every console user, by email. Admins only (emails and roles are not for every viewer). */
export function listUsers(ctx: ServiceContext): User[] {
  requireAdmin(ctx);
  return ctx.db.select().from(users).orderBy(asc(users.email)).all();
}
