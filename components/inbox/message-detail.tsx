"use client";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import type { ContactMessageView } from "@/lib/core/contact/views";

const SPAM_REASON_TEXT = {
  too_fast:
    "It was sent within seconds of the page loading, faster than most people type. Autofill or paste can do that too, so it was kept: read it before deciding.",
} as const;

export function SpamBadge() {
  return <Badge tone="amber">Suspected spam</Badge>;
}

const longDate = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function MessageDetail({
  message,
  canEdit,
  onToggleRead,
  onToggleArchive,
}: {
  message: ContactMessageView;
  canEdit: boolean;
  onToggleRead: () => void;
  onToggleArchive: () => void;
}) {
  const domain = message.email.slice(message.email.lastIndexOf("@") + 1);
  return (
    <article
      aria-labelledby="message-title"
      className="rounded-xl bg-white shadow-xs ring-1 ring-slate-200"
    >
      <header className="flex flex-col gap-4 border-b border-slate-100 p-5 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <h2 id="message-title" className="text-lg font-semibold break-words text-slate-900">
            {message.name}
          </h2>
          <p className="mt-0.5 text-sm break-all text-slate-600">
            <a
              className="text-indigo-700 underline-offset-2 hover:underline"
              href={`mailto:${message.email}`}
            >
              {message.email}
            </a>
            {message.company ? <span className="text-slate-500"> · {message.company}</span> : null}
          </p>
          <p className="mt-1 text-xs text-slate-500">
            Received{" "}
            <time dateTime={message.createdAt} suppressHydrationWarning>
              {longDate.format(new Date(message.createdAt))}
            </time>{" "}
            · {domain}
          </p>
        </div>
        {canEdit ? (
          <div className="flex flex-none gap-2">
            <Button variant="secondary" onClick={onToggleRead}>
              {message.readAt ? "Mark unread" : "Mark read"}
            </Button>
            <Button
              variant={message.archivedAt ? "secondary" : "primary"}
              onClick={onToggleArchive}
            >
              {message.archivedAt ? "Move to inbox" : "Archive"}
            </Button>
          </div>
        ) : null}
      </header>
      <div className="p-5">
        {message.spamReason ? (
          <p
            data-testid="spam-notice"
            className="mb-4 rounded-md bg-amber-50 px-3 py-2.5 text-sm text-amber-900 ring-1 ring-amber-200"
          >
            <strong className="font-semibold">Suspected spam.</strong>{" "}
            {SPAM_REASON_TEXT[message.spamReason]}
          </p>
        ) : null}
        <p
          data-testid="message-body"
          className="text-[15px] leading-7 break-words whitespace-pre-wrap text-slate-800"
        >
          {message.message}
        </p>
      </div>
      <footer className="flex flex-wrap items-center gap-x-3 gap-y-1.5 border-t border-slate-100 px-5 py-3 text-xs text-slate-500">
        <span className="font-mono">{message.id}</span>
        <Badge tone={message.readAt ? "slate" : "blue"}>{message.readAt ? "Read" : "Unread"}</Badge>
        {message.archivedAt ? <Badge>Archived</Badge> : null}
        {message.spamReason ? <SpamBadge /> : null}
        {message.notifiedAt ? <Badge tone="green">Notification sent</Badge> : null}
        {message.notifyError ? (
          <Badge tone="amber">Notification failed: {message.notifyError}</Badge>
        ) : null}
      </footer>
    </article>
  );
}
