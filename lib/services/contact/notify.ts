import { eq } from "drizzle-orm";
import nodemailer from "nodemailer";

import type { Db } from "@/db/client";
import { type ContactMessage, contactMessages } from "@/db/schema";

/** A plain-text mail. Only `replyTo` carries user input into a header, and only a validated address. */
export type NotificationMail = {
  from: string;
  to: string;
  replyTo: string;
  subject: string;
  text: string;
};
export type Mailer = { send(mail: NotificationMail): Promise<void> };

export type NotifySettings = { to: string; from: string };

const ERROR_MAX = 500;
const SINGLE_LINE_EMAIL = /^[^\s@]+@[^\s@]+$/;

/** An SMTP mailer from a `smtp://` / `smtps://` URL, with time-outs so a dead relay cannot pile up sends. */
export function createSmtpMailer(url: string): Mailer {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(mail) {
      await transport.sendMail({
        from: mail.from,
        to: mail.to,
        replyTo: { name: "", address: mail.replyTo },
        subject: mail.subject,
        text: mail.text,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    },
  };
}

export function notificationFor(
  message: ContactMessage,
  settings: NotifySettings,
): NotificationMail {
  if (!SINGLE_LINE_EMAIL.test(message.email))
    throw new Error("stored email is not a single address");
  return {
    from: settings.from,
    to: settings.to,
    replyTo: message.email,
    subject: `New contact message ${message.id}`,
    text: [
      "A message arrived through the Portcullis contact form.",
      "",
      `From:    ${message.name} <${message.email}>`,
      `Company: ${message.company ?? "-"}`,
      `Received: ${message.createdAt.toISOString()}`,
      `Id:      ${message.id}`,
      "",
      message.message,
      "",
      "Reply to this mail to answer the sender; the message is also in the console inbox.",
    ].join("\n"),
  };
}

/**
 * Mails the operator about a stored message. Runs after the message committed, so a failing
 * relay never loses it: the outcome lands in `notified_at` or `notify_error`. Never throws.
 */
export async function notifyContactMessage(
  db: Db,
  message: ContactMessage,
  mailer: Mailer,
  settings: NotifySettings,
  now: () => Date = () => new Date(),
): Promise<"sent" | "failed"> {
  try {
    await mailer.send(notificationFor(message, settings));
    db.update(contactMessages)
      .set({ notifiedAt: now(), notifyError: null })
      .where(eq(contactMessages.id, message.id))
      .run();
    return "sent";
  } catch (err) {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    try {
      db.update(contactMessages)
        .set({ notifyError: text.slice(0, ERROR_MAX) })
        .where(eq(contactMessages.id, message.id))
        .run();
    } catch {
      // The message itself is committed; a failed bookkeeping write must not surface to the sender.
    }
    return "failed";
  }
}
