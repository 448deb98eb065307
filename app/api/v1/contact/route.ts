import { after, NextResponse } from "next/server";

import { CONTACT_MAX_BODY_BYTES } from "@/lib/core/contact/inputs";
import { CONTACT_RECEIPT } from "@/lib/core/contact/views";
import { getConsoleEnv } from "@/lib/env";
import {
  createSmtpMailer,
  formKey,
  issueFormToken,
  type Mailer,
  notifyContactMessage,
  receiveContactMessage,
} from "@/lib/services/contact";
import { getDb } from "@/lib/server/db";
import { log } from "@/lib/server/log";
import { route } from "@/lib/server/route";

export const dynamic = "force-dynamic";

let mailer: Mailer | undefined;

function problem(status: number, requestId: string, message: string) {
  return NextResponse.json(
    { error: { code: "VALIDATION", message, requestId } },
    { status, headers: { "cache-control": "no-store" } },
  );
}

/** Reads at most `limit` bytes; null when the body is larger, before any of it is parsed. */
async function readCapped(req: Request, limit: number): Promise<string | null> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) return null;
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
}

/** A fresh signed render-time token; the form fetches it when it mounts. */
export const GET = route({ auth: "public" }, (ctx) => ({
  formToken: issueFormToken(formKey(getConsoleEnv().PORTCULLIS_CONTACT_FORM_KEY), ctx.now()),
}));

export const POST = route({ auth: "public" }, async (ctx, req) => {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json(\s*;|$)/i.test(type)) {
    return problem(415, ctx.requestId, "Send the form as application/json");
  }
  const text = await readCapped(req, CONTACT_MAX_BODY_BYTES);
  if (text === null)
    return problem(413, ctx.requestId, "The message is too large (16 KiB at most)");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return problem(400, ctx.requestId, "The request body is not valid JSON");
  }

  const env = getConsoleEnv();
  const result = receiveContactMessage(ctx, body, {
    formKey: formKey(env.PORTCULLIS_CONTACT_FORM_KEY),
  });
  if (result.status === "dropped") {
    log.info({ requestId: ctx.requestId, reason: result.reason }, "contact submission dropped");
    return CONTACT_RECEIPT;
  }

  const { PORTCULLIS_SMTP_URL: smtp, PORTCULLIS_CONTACT_NOTIFY_TO: to } = env;
  // Suspected spam is kept for the inbox but sends no mail: a notice per bot post would be noise.
  if (smtp && to && !result.message.spamReason) {
    const message = result.message;
    const from = env.PORTCULLIS_CONTACT_NOTIFY_FROM ?? to;
    after(async () => {
      mailer ??= createSmtpMailer(smtp);
      const outcome = await notifyContactMessage(getDb(), message, mailer, { to, from });
      if (outcome === "failed")
        log.warn({ messageId: message.id }, "contact notification failed; message kept");
    });
  }
  return CONTACT_RECEIPT;
});
