import { eq } from "drizzle-orm";

import { type ContactMessage, contactMessages } from "@/db/schema";
import { UpdateMessageInput } from "@/lib/core/contact/inputs";
import { AppError, notFound } from "@/lib/core/errors";
import { appendAudit } from "../audit";
import { requireEditor, type ServiceContext, withTransaction } from "../context";

const snapshot = (row: ContactMessage) => ({
  readAt: row.readAt?.toISOString() ?? null,
  archivedAt: row.archivedAt?.toISOString() ?? null,
});

/**
 * Marks a message read/unread and/or archives/unarchives it (editor or admin). A request that
 * changes nothing writes nothing; every real change is audited as `contact.update`.
 */
export function updateContactMessage(
  ctx: ServiceContext,
  raw: UpdateMessageInput | Record<string, unknown>,
): ContactMessage {
  requireEditor(ctx);
  const input = UpdateMessageInput.parse(raw);
  return withTransaction(ctx, (tx) => {
    const before = tx.select().from(contactMessages).where(eq(contactMessages.id, input.id)).get();
    if (!before) throw notFound("message", input.id);

    const now = ctx.now();
    const readAt =
      input.read === undefined ? before.readAt : input.read ? (before.readAt ?? now) : null;
    const archivedAt =
      input.archived === undefined
        ? before.archivedAt
        : input.archived
          ? (before.archivedAt ?? now)
          : null;
    if (readAt === before.readAt && archivedAt === before.archivedAt) return before;

    const after = tx
      .update(contactMessages)
      .set({ readAt, archivedAt })
      .where(eq(contactMessages.id, input.id))
      .returning()
      .get();
    if (!after) throw new AppError("INTERNAL", "Message disappeared during update");

    appendAudit(tx, ctx, {
      action: "contact.update",
      target: { type: "contact_message", id: after.id },
      before: snapshot(before),
      after: snapshot(after),
    });
    return after;
  });
}
