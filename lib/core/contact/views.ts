/** A contact message as the console receives it. Dates are ISO strings. */
export type ContactMessageView = {
  id: string;
  name: string;
  email: string;
  company: string | null;
  message: string;
  createdAt: string;
  readAt: string | null;
  archivedAt: string | null;
  notifiedAt: string | null;
  notifyError: string | null;
  /** Set when the message is suspected spam (`too_fast`: sent sooner than a person types). */
  spamReason: "too_fast" | null;
};

export type InboxCounts = {
  inbox: number;
  unread: number;
  spam: number;
  archived: number;
  all: number;
};

export type MessagePage = {
  items: ContactMessageView[];
  counts: InboxCounts;
  nextCursor: string | null;
};

/** What the public form gets back. Identical for stored, flagged and honeypot submissions. */
export type ContactReceipt = { ok: true; message: "Message sent." };
export const CONTACT_RECEIPT: ContactReceipt = { ok: true, message: "Message sent." };
