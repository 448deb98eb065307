import type { ContactMessage } from "@/db/schema";
import type { ContactMessageView } from "@/lib/core/contact/views";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toContactMessageView(row: ContactMessage): ContactMessageView {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    company: row.company,
    message: row.message,
    createdAt: row.createdAt.toISOString(),
    readAt: iso(row.readAt),
    archivedAt: iso(row.archivedAt),
    notifiedAt: iso(row.notifiedAt),
    notifyError: row.notifyError,
    spamReason: row.spamReason ?? null,
  };
}
