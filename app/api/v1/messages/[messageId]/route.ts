import {
  getContactMessage,
  toContactMessageView,
  updateContactMessage,
} from "@/lib/services/contact";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

type Params = { messageId: string };

export const GET = route<Params>({ auth: "viewer" }, (ctx, _req, { params }) =>
  toContactMessageView(getContactMessage(ctx, params.messageId)),
);

export const PATCH = route<Params>({ auth: "editor" }, async (ctx, req, { params }) => {
  const body: unknown = await req.json().catch(() => null);
  const fields =
    body && typeof body === "object" && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  return toContactMessageView(updateContactMessage(ctx, { ...fields, id: params.messageId }));
});
