import type { Metadata } from "next";

import { InboxView } from "@/components/inbox/inbox-view";
import { listContactMessages, toContactMessageView } from "@/lib/services/contact";
import { pageActor } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Inbox" };

export default async function InboxPage() {
  const { ctx } = await pageActor();
  const page = listContactMessages(ctx, { filter: "inbox" });
  return (
    <InboxView
      initial={{
        items: page.items.map(toContactMessageView),
        counts: page.counts,
        nextCursor: page.nextCursor,
      }}
    />
  );
}
