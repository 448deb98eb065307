import type { Metadata } from "next";

import { PolicyEditor } from "@/components/policy-editor/policy-editor";
import { ErrorState } from "@/components/ui/states";
import { AppError } from "@/lib/core/errors";
import { pageActor } from "@/lib/server/auth";
import { getActivePolicy } from "@/lib/services/policies";

type Props = { params: Promise<{ server: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Policy editor · ${decodeURIComponent((await params).server)}` };
}

export default async function PolicyEditPage({ params }: Props) {
  const { ctx } = await pageActor();
  const server = decodeURIComponent((await params).server);
  let upstreamId: string;
  try {
    upstreamId = getActivePolicy(ctx, { server }).upstreamId;
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND")
      return <ErrorState title="Unknown server" message={`There is no server named ${server}.`} />;
    throw err;
  }
  return <PolicyEditor upstreamId={upstreamId} server={server} />;
}
