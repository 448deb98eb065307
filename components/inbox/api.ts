import { apiFetch, apiUrl } from "@/lib/client/api";
import type { InboxFilter } from "@/lib/core/contact/inputs";
import type { ContactMessageView, MessagePage } from "@/lib/core/contact/views";

const params = (filter: InboxFilter, q: string, before?: string | null) => ({
  filter,
  q: q.trim() || undefined,
  before: before ?? undefined,
});

export const fetchMessages = (filter: InboxFilter, q: string, before?: string | null) =>
  apiFetch<MessagePage>(apiUrl("/messages", params(filter, q, before)));

export const patchMessage = (id: string, change: { read?: boolean; archived?: boolean }) =>
  apiFetch<ContactMessageView>(`/messages/${encodeURIComponent(id)}`, {
    method: "PATCH",
    json: change,
  });

export const exportHref = (filter: InboxFilter, q: string) =>
  apiUrl("/messages/export", params(filter, q));
