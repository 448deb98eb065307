import type { Metadata } from "next";

import { ServerDetail } from "@/components/servers/server-detail";
import { pageActor } from "@/lib/server/auth";

type Props = { params: Promise<{ name: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: decodeURIComponent((await params).name) };
}

export default async function ServerPage({ params }: Props) {
  await pageActor();
  const { name } = await params;
  return <ServerDetail name={decodeURIComponent(name)} />;
}
