import { z } from "zod";

/** Field caps shared by the form (maxLength) and the server (zod). */
export const CONTACT_LIMITS = {
  name: 120,
  email: 254,
  company: 120,
  message: 5000,
  messageMin: 10,
} as const;

/** The whole request body the public route accepts, measured before it is parsed. */
export const CONTACT_MAX_BODY_BYTES = 16 * 1024;

/** Name of the honeypot field: plausible enough that form-filling bots complete it. */
export const HONEYPOT_FIELD = "website";

// Header-like fields may end up in mail headers (reply-to) or CSV rows: one line only.
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const singleLine = (label: string, max: number) =>
  z
    .string({ error: `${label} is required` })
    .refine((s) => !LINE_BREAK.test(s), `${label} must not contain line breaks`)
    .refine((s) => !CONTROL.test(s), `${label} must not contain control characters`)
    .transform((s) => s.trim())
    .pipe(z.string().max(max, `${label} must be at most ${max} characters`));

/** What a person types into the form. The same schema validates in the browser and on the server. */
export const ContactFields = z.object({
  name: singleLine("Name", CONTACT_LIMITS.name).pipe(z.string().min(1, "Name is required")),
  email: singleLine("Email", CONTACT_LIMITS.email).pipe(
    z.string().min(1, "Email is required").pipe(z.email("Enter a valid email address")),
  ),
  company: singleLine("Company", CONTACT_LIMITS.company)
    .nullish()
    .transform((s) => (s ? s : null)),
  message: z
    .string({ error: "Message is required" })
    .refine((s) => !CONTROL.test(s), "Message must not contain control characters")
    .transform((s) => s.replace(/\r\n?/g, "\n").trim())
    .pipe(
      z
        .string()
        .min(
          CONTACT_LIMITS.messageMin,
          `Message must be at least ${CONTACT_LIMITS.messageMin} characters`,
        )
        .max(
          CONTACT_LIMITS.message,
          `Message must be at most ${CONTACT_LIMITS.message} characters`,
        ),
    ),
});

export type ContactFields = z.input<typeof ContactFields>;
export type ContactFieldsParsed = z.output<typeof ContactFields>;
export type ContactField = keyof ContactFields;

/** The JSON body of POST /api/v1/contact: the fields plus the anti-bot pair. */
export const ContactSubmission = ContactFields.extend({
  [HONEYPOT_FIELD]: z.string().max(500).optional(),
  formToken: z.string({ error: "The form is missing its token; reload the page" }).max(200),
}).strict();

export type ContactSubmission = z.input<typeof ContactSubmission>;

/** Field-keyed messages (first problem per field) from a zod error's issues. */
export function contactFieldErrors(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): Partial<Record<ContactField | "form", string>> {
  const out: Partial<Record<ContactField | "form", string>> = {};
  for (const issue of issues) {
    const head = issue.path[0];
    const key: ContactField | "form" =
      head === "name" || head === "email" || head === "company" || head === "message"
        ? head
        : "form";
    out[key] ??= issue.message;
  }
  return out;
}

/** `spam`: unarchived messages flagged as suspected spam (they stay in the inbox too, badged). */
export const INBOX_FILTERS = ["inbox", "unread", "spam", "archived", "all"] as const;
export type InboxFilter = (typeof INBOX_FILTERS)[number];

/** Query of the inbox list and export. `before` is the cursor returned by the previous page. */
export const ListMessagesInput = z.object({
  filter: z.enum(INBOX_FILTERS).default("inbox"),
  q: z
    .string()
    .max(200)
    .optional()
    .transform((s) => s?.trim() || undefined),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z
    .string()
    .regex(/^\d{1,15}:msg_[a-z0-9]{1,40}$/, "invalid cursor")
    .optional(),
});
export type ListMessagesInput = z.input<typeof ListMessagesInput>;

export const MessageId = z.string().regex(/^msg_[a-z0-9]{1,40}$/, "invalid message id");

/** A change an editor makes to one message: read state and/or archive state. */
export const UpdateMessageInput = z
  .object({
    id: MessageId,
    read: z.boolean().optional(),
    archived: z.boolean().optional(),
  })
  .strict()
  .refine((v) => v.read !== undefined || v.archived !== undefined, "Nothing to change");
export type UpdateMessageInput = z.input<typeof UpdateMessageInput>;
