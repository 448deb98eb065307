"use client";

import { useCallback, useEffect, useRef, useState } from "react";

import { useCan } from "@/components/console/session-context";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/card";
import { IconDownload, IconInbox } from "@/components/ui/icons";
import { EmptyState, ErrorState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { errorMessage } from "@/lib/client/api";
import type { InboxFilter } from "@/lib/core/contact/inputs";
import type { ContactMessageView, InboxCounts, MessagePage } from "@/lib/core/contact/views";
import { exportHref, fetchMessages, patchMessage } from "./api";
import { MessageDetail, SpamBadge } from "./message-detail";

const FILTERS: { value: InboxFilter; label: string }[] = [
  { value: "inbox", label: "Inbox" },
  { value: "unread", label: "Unread" },
  { value: "spam", label: "Suspected spam" },
  { value: "archived", label: "Archived" },
  { value: "all", label: "All" },
];

const dateFormat = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

export function formatWhen(iso: string): string {
  return dateFormat.format(new Date(iso));
}

export function InboxView({ initial }: { initial: MessagePage }) {
  const canEdit = useCan("editor");
  const toast = useToast();
  const [filter, setFilter] = useState<InboxFilter>("inbox");
  const [query, setQuery] = useState("");
  const [items, setItems] = useState<ContactMessageView[]>(initial.items);
  const [counts, setCounts] = useState<InboxCounts>(initial.counts);
  const [cursor, setCursor] = useState<string | null>(initial.nextCursor);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const firstLoad = useRef(true);
  const detailRef = useRef<HTMLDivElement>(null);

  const selected = items.find((m) => m.id === selectedId) ?? null;

  const reload = useCallback(async (f: InboxFilter, q: string) => {
    setLoading(true);
    try {
      const page = await fetchMessages(f, q);
      setItems(page.items);
      setCounts(page.counts);
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    if (firstLoad.current) {
      firstLoad.current = false;
      return;
    }
    const timer = setTimeout(() => void reload(filter, query), query ? 250 : 0);
    return () => clearTimeout(timer);
  }, [filter, query, reload]);

  async function loadMore() {
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await fetchMessages(filter, query, cursor);
      setItems((prev) => [...prev, ...page.items]);
      setCounts(page.counts);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoading(false);
    }
  }

  async function change(
    message: ContactMessageView,
    patch: { read?: boolean; archived?: boolean },
    announce?: string,
  ) {
    try {
      const updated = await patchMessage(message.id, patch);
      setItems((prev) => prev.map((m) => (m.id === updated.id ? updated : m)));
      if (announce) {
        setNotice(announce);
        toast.show(announce, "success");
      }
      const page = await fetchMessages(filter, query);
      setCounts(page.counts);
      if (patch.archived !== undefined) {
        setItems(page.items);
        setCursor(page.nextCursor);
      }
      setError(null);
    } catch (err) {
      toast.show(errorMessage(err), "error");
    }
  }

  function open(message: ContactMessageView) {
    setSelectedId(message.id);
    if (canEdit && !message.readAt) void change(message, { read: true });
    requestAnimationFrame(() => {
      if (window.matchMedia("(max-width: 1023px)").matches)
        detailRef.current?.scrollIntoView({ block: "start" });
    });
  }

  return (
    <div className="space-y-5">
      <PageHeader
        title="Inbox"
        description={
          canEdit
            ? "Messages sent through the contact form on the public site."
            : "Messages sent through the contact form on the public site. Your role can read them; editors and admins can mark and archive."
        }
        actions={
          <a
            href={exportHref(filter, query)}
            download
            className="inline-flex h-9 items-center gap-1.5 rounded-md bg-white px-3.5 text-sm font-medium text-slate-800 shadow-xs ring-1 ring-slate-300 ring-inset hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
          >
            <IconDownload className="size-4 text-slate-500" />
            Export CSV
          </a>
        }
      />

      <div className="flex flex-col gap-3 md:flex-row md:items-center md:justify-between">
        <div
          role="group"
          aria-label="Show"
          className="inline-flex flex-wrap self-start rounded-lg bg-slate-100 p-1"
        >
          {FILTERS.map((f) => (
            <button
              key={f.value}
              type="button"
              aria-pressed={filter === f.value}
              onClick={() => {
                setFilter(f.value);
                setSelectedId(null);
              }}
              className={`rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-indigo-600 ${
                filter === f.value
                  ? "bg-white text-slate-900 shadow-sm"
                  : "text-slate-600 hover:text-slate-900"
              }`}
            >
              {f.label}
              <span className="ml-1.5 rounded-full bg-slate-200/80 px-1.5 text-xs text-slate-700 tabular-nums">
                {counts[f.value]}
              </span>
            </button>
          ))}
        </div>
        <div className="relative md:w-80">
          <label htmlFor="inbox-search" className="sr-only">
            Search messages
          </label>
          <svg
            viewBox="0 0 20 20"
            className="pointer-events-none absolute top-2.5 left-3 h-4 w-4 fill-slate-400"
            aria-hidden="true"
          >
            <path d="M8.5 3a5.5 5.5 0 014.4 8.8l3.6 3.7a1 1 0 01-1.4 1.4l-3.7-3.6A5.5 5.5 0 118.5 3zm0 2a3.5 3.5 0 100 7 3.5 3.5 0 000-7z" />
          </svg>
          <input
            id="inbox-search"
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Search name, email, company, message"
            className="block w-full rounded-md border border-slate-300 bg-white py-2 pr-3 pl-9 text-sm text-slate-900 shadow-sm placeholder:text-slate-400 focus:outline-none focus-visible:border-indigo-600 focus-visible:ring-2 focus-visible:ring-indigo-600"
          />
        </div>
      </div>

      {error ? (
        <ErrorState
          title="Could not load messages"
          message={error}
          onRetry={() => void reload(filter, query)}
        />
      ) : null}
      <p role="status" className="sr-only">
        {notice}
      </p>

      <div className="grid gap-5 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <section
          aria-label="Messages"
          aria-busy={loading}
          className="overflow-hidden rounded-xl bg-white shadow-xs ring-1 ring-slate-200"
        >
          {items.length === 0 ? (
            <EmptyState
              className="py-16"
              icon={<IconInbox className="size-10" />}
              title={
                query
                  ? "No messages match your search"
                  : filter === "archived"
                    ? "Nothing archived"
                    : filter === "spam"
                      ? "No suspected spam"
                      : "No messages here"
              }
            >
              {query
                ? "Try a name, a domain or a word from the message."
                : "New contact-form messages arrive in the inbox."}
            </EmptyState>
          ) : (
            <ul className="divide-y divide-slate-100">
              {items.map((m) => {
                const active = m.id === selectedId;
                const unread = !m.readAt;
                return (
                  <li key={m.id}>
                    <button
                      type="button"
                      onClick={() => open(m)}
                      aria-current={active ? "true" : undefined}
                      className={`block w-full px-4 py-3.5 text-left focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-600 ${
                        active ? "bg-indigo-50" : "hover:bg-slate-50"
                      }`}
                    >
                      <span className="flex items-baseline justify-between gap-3">
                        <span className="flex min-w-0 items-center gap-2">
                          {unread ? (
                            <span className="h-2 w-2 flex-none rounded-full bg-indigo-600">
                              <span className="sr-only">Unread: </span>
                            </span>
                          ) : null}
                          <span
                            className={`truncate text-sm ${unread ? "font-semibold text-slate-900" : "text-slate-700"}`}
                          >
                            {m.name}
                          </span>
                          {m.company ? (
                            <span className="truncate text-xs text-slate-500">· {m.company}</span>
                          ) : null}
                        </span>
                        <time
                          dateTime={m.createdAt}
                          suppressHydrationWarning
                          className="flex-none text-xs text-slate-500 tabular-nums"
                        >
                          {formatWhen(m.createdAt)}
                        </time>
                      </span>
                      <span className="mt-0.5 block truncate text-xs text-slate-500">
                        {m.email}
                      </span>
                      <span className="mt-1.5 line-clamp-2 text-sm break-words text-slate-600">
                        {m.message}
                      </span>
                      {m.spamReason || (m.archivedAt && filter === "all") ? (
                        <span className="mt-2 flex flex-wrap gap-1.5">
                          {m.spamReason ? <SpamBadge /> : null}
                          {m.archivedAt && filter === "all" ? <Badge>Archived</Badge> : null}
                        </span>
                      ) : null}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
          {cursor ? (
            <div className="border-t border-slate-100 p-3 text-center">
              <button
                type="button"
                onClick={() => void loadMore()}
                disabled={loading}
                className="rounded-md px-3 py-1.5 text-sm font-medium text-indigo-700 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:outline-indigo-600 disabled:opacity-60"
              >
                {loading ? "Loading…" : "Load older messages"}
              </button>
            </div>
          ) : null}
        </section>

        <div ref={detailRef} className="scroll-mt-4 lg:sticky lg:top-7 lg:self-start">
          {selected ? (
            <MessageDetail
              message={selected}
              canEdit={canEdit}
              onToggleRead={() =>
                void change(
                  selected,
                  { read: !selected.readAt },
                  selected.readAt ? "Marked unread" : "Marked read",
                )
              }
              onToggleArchive={() =>
                void change(
                  selected,
                  { archived: !selected.archivedAt },
                  selected.archivedAt ? "Moved to inbox" : "Archived",
                )
              }
            />
          ) : (
            <div className="hidden h-full min-h-64 items-center justify-center rounded-xl border border-dashed border-slate-300 bg-slate-50/60 p-10 text-center lg:flex">
              <div>
                <p className="font-medium text-slate-700">Select a message to read it</p>
                <p className="mt-1 text-sm text-slate-500">
                  {counts.unread} unread · {counts.archived} archived
                </p>
              </div>
            </div>
          )}
        </div>
      </div>
    </div>
  );
}
