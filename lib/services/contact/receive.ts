import type { ContactMessage } from "@/db/schema";
import { contactMessages } from "@/db/schema";
import { ContactSubmission, contactFieldErrors, HONEYPOT_FIELD } from "@/lib/core/contact/inputs";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { appendAudit } from "../audit";
import { type ServiceContext, withTransaction } from "../context";
import { checkFormToken, spendFormToken } from "./form-token";
import {
  admitContact,
  CONTACT_RATE_LIMIT,
  contactCounterKey,
  type RateLimitSpec,
} from "./rate-limit";

export type ReceiveOptions = {
  formKey: Uint8Array;
  minFillMs?: number;
  maxAgeMs?: number;
  limit?: RateLimitSpec;
};

/**
 * `dropped` submissions (a filled honeypot: a field no person sees) got the same answer as
 * stored ones and left no trace in the database. A form sent faster than a person types is
 * stored, flagged as suspected spam: autofill and paste are that fast too.
 */
export type ReceiveResult =
  { status: "stored"; message: ContactMessage } | { status: "dropped"; reason: "honeypot" };

const USER_AGENT_MAX = 300;
const ALREADY_SENT = "This form was already sent. Reload the page to send another message.";

/**
 * Accepts one message from the public contact form. Order matters: a filled honeypot is dropped
 * before anything else (bots learn nothing from validation errors); invalid fields and forged or
 * stale tokens are VALIDATION errors with `details.fields`; a form posted faster than a person
 * can type is kept but flagged as suspected spam; then, in one IMMEDIATE transaction, the per-IP limit is charged (RATE_LIMITED
 * with `details.retryAfterSeconds` when exhausted), the message is stored and `contact.receive`
 * is audited without the message text.
 */
export function receiveContactMessage(
  ctx: ServiceContext,
  raw: unknown,
  options: ReceiveOptions,
): ReceiveResult {
  if (
    isObject(raw) &&
    typeof raw[HONEYPOT_FIELD] === "string" &&
    raw[HONEYPOT_FIELD].trim() !== ""
  ) {
    return { status: "dropped", reason: "honeypot" };
  }

  const parsed = ContactSubmission.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("VALIDATION", "Check the highlighted fields", {
      fields: contactFieldErrors(parsed.error.issues),
    });
  }
  const input = parsed.data;

  const now = ctx.now();
  const token = checkFormToken(options.formKey, input.formToken, now, {
    minFillMs: options.minFillMs,
    maxAgeMs: options.maxAgeMs,
  });
  if (token !== "ok" && token !== "too_fast") {
    throw new AppError("VALIDATION", "This form has expired. Reload the page and send it again.", {
      fields: { form: "This form has expired. Reload the page and send it again." },
    });
  }

  return withTransaction(ctx, (tx) => {
    if (!spendFormToken(tx, input.formToken, now, options.maxAgeMs)) {
      throw new AppError("VALIDATION", ALREADY_SENT, { fields: { form: ALREADY_SENT } });
    }
    const admission = admitContact(
      tx,
      contactCounterKey(ctx.remoteIp),
      now,
      options.limit ?? CONTACT_RATE_LIMIT,
    );
    if (!admission.admitted) {
      const minutes = Math.ceil(admission.retryAfterSeconds / 60);
      throw new AppError(
        "RATE_LIMITED",
        `Too many messages from your network. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
        { retryAfterSeconds: admission.retryAfterSeconds },
      );
    }

    const message = tx
      .insert(contactMessages)
      .values({
        id: newId("contact"),
        name: input.name,
        email: input.email,
        company: input.company,
        message: input.message,
        remoteIp: ctx.remoteIp ?? null,
        userAgent: ctx.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
        createdAt: now,
        spamReason: token === "too_fast" ? "too_fast" : null,
      })
      .returning()
      .get();

    appendAudit(tx, ctx, {
      action: "contact.receive",
      target: { type: "contact_message", id: message.id },
      extra: {
        emailDomain: input.email.slice(input.email.lastIndexOf("@") + 1).toLowerCase(),
        nameLength: input.name.length,
        companyLength: input.company?.length ?? 0,
        messageLength: input.message.length,
        messageBytes: Buffer.byteLength(input.message, "utf8"),
        ...(message.spamReason ? { suspectedSpam: message.spamReason } : {}),
      },
    });
    return { status: "stored", message };
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
