"use client";

import { type FormEvent, useEffect, useId, useRef, useState } from "react";

import {
  CONTACT_LIMITS,
  type ContactField,
  ContactFields,
  contactFieldErrors,
  HONEYPOT_FIELD,
} from "@/lib/core/contact/inputs";

type Errors = Partial<Record<ContactField | "form", string>>;
type Status = "idle" | "sending" | "sent";

const FIELDS: ContactField[] = ["name", "email", "company", "message"];
const EMPTY = { name: "", email: "", company: "", message: "" };

type ErrorPayload = {
  error?: { code?: string; message?: string; requestId?: string; details?: unknown };
};

async function fetchFormToken(): Promise<string | null> {
  try {
    const res = await fetch("/api/v1/contact", {
      cache: "no-store",
      headers: { accept: "application/json" },
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { data?: { formToken?: unknown } };
    return typeof body.data?.formToken === "string" ? body.data.formToken : null;
  } catch {
    return null;
  }
}

export function ContactForm() {
  const id = useId();
  const [values, setValues] = useState(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [status, setStatus] = useState<Status>("idle");
  const token = useRef<string | null>(null);
  const honeypot = useRef<HTMLInputElement>(null);
  const successRef = useRef<HTMLDivElement>(null);
  const formErrorRef = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    let live = true;
    void fetchFormToken().then((t) => {
      if (live) token.current = t;
    });
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (status === "sent") successRef.current?.focus();
  }, [status]);

  function showErrors(next: Errors) {
    setErrors(next);
    const first = FIELDS.find((f) => next[f]);
    if (first) document.getElementById(`${id}-${first}`)?.focus();
    else if (next.form) requestAnimationFrame(() => formErrorRef.current?.focus());
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (status === "sending") return;
    const local = ContactFields.safeParse(values);
    if (!local.success) return showErrors(contactFieldErrors(local.error.issues));

    setStatus("sending");
    setErrors({});
    const formToken = token.current ?? (await fetchFormToken()) ?? "";
    try {
      const res = await fetch("/api/v1/contact", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({
          ...values,
          [HONEYPOT_FIELD]: honeypot.current?.value ?? "",
          formToken,
        }),
      });
      if (res.ok) {
        setStatus("sent");
        setValues(EMPTY);
        token.current = await fetchFormToken();
        return;
      }
      const body = (await res.json().catch(() => ({}))) as ErrorPayload;
      setStatus("idle");
      const fields = (body.error?.details as { fields?: Errors } | undefined)?.fields;
      if (res.status === 400 && fields && Object.keys(fields).length > 0) return showErrors(fields);
      const ref = body.error?.requestId ? ` (reference ${body.error.requestId})` : "";
      showErrors({
        form:
          res.status === 429 || res.status === 413
            ? (body.error?.message ?? "Too many messages. Try again later.")
            : `${body.error?.message ?? "The message could not be sent."}${ref}`,
      });
    } catch {
      setStatus("idle");
      showErrors({ form: "The message could not be sent: the network is unavailable. Try again." });
    }
  }

  if (status === "sent") {
    return (
      <div
        ref={successRef}
        tabIndex={-1}
        role="status"
        className="rounded-2xl border border-emerald-200 bg-emerald-50 p-8 text-center outline-none focus-visible:ring-2 focus-visible:ring-emerald-500"
      >
        <svg
          viewBox="0 0 24 24"
          className="mx-auto h-10 w-10 stroke-emerald-600"
          fill="none"
          strokeWidth="2"
          aria-hidden="true"
        >
          <circle cx="12" cy="12" r="9" />
          <path d="M8 12.5l2.5 2.5L16 9.5" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <p className="mt-4 text-lg font-semibold text-emerald-900">Message sent.</p>
        <p className="mt-2 text-sm text-emerald-800">
          Thank you — we read every message and reply from a real inbox.
        </p>
        <button
          type="button"
          onClick={() => setStatus("idle")}
          className="mt-6 rounded-md px-3 py-2 text-sm font-semibold text-emerald-800 underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-600"
        >
          Send another message
        </button>
      </div>
    );
  }

  const field = (name: ContactField) => ({
    id: `${id}-${name}`,
    name,
    value: values[name],
    onChange: (e: { target: { value: string } }) =>
      setValues((v) => ({ ...v, [name]: e.target.value })),
    "aria-invalid": errors[name] ? true : undefined,
    "aria-describedby": errors[name] ? `${id}-${name}-error` : undefined,
  });

  const inputClass = (name: ContactField) =>
    `mt-1.5 block w-full rounded-md border bg-white px-3 py-2.5 text-slate-900 shadow-sm placeholder:text-slate-400 focus:outline-none focus-visible:ring-2 focus-visible:ring-offset-1 ${
      errors[name]
        ? "border-rose-500 focus-visible:ring-rose-500"
        : "border-slate-300 focus-visible:border-indigo-600 focus-visible:ring-indigo-600"
    }`;

  const fieldError = (name: ContactField) =>
    errors[name] ? (
      <p id={`${id}-${name}-error`} className="mt-1.5 text-sm text-rose-700">
        {errors[name]}
      </p>
    ) : null;

  return (
    <form
      noValidate
      onSubmit={onSubmit}
      aria-labelledby="contact-title"
      className="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8"
    >
      <div className="grid gap-5 sm:grid-cols-2">
        <div>
          <label htmlFor={`${id}-name`} className="text-sm font-medium text-slate-800">
            Name
          </label>
          <input
            {...field("name")}
            type="text"
            autoComplete="name"
            required
            maxLength={CONTACT_LIMITS.name}
            className={inputClass("name")}
          />
          {fieldError("name")}
        </div>
        <div>
          <label htmlFor={`${id}-email`} className="text-sm font-medium text-slate-800">
            Work email
          </label>
          <input
            {...field("email")}
            type="email"
            autoComplete="email"
            required
            maxLength={CONTACT_LIMITS.email}
            className={inputClass("email")}
          />
          {fieldError("email")}
        </div>
        <div className="sm:col-span-2">
          <label htmlFor={`${id}-company`} className="text-sm font-medium text-slate-800">
            Company <span className="font-normal text-slate-500">(optional)</span>
          </label>
          <input
            {...field("company")}
            type="text"
            autoComplete="organization"
            maxLength={CONTACT_LIMITS.company}
            className={inputClass("company")}
          />
          {fieldError("company")}
        </div>
        <div className="sm:col-span-2">
          <label htmlFor={`${id}-message`} className="text-sm font-medium text-slate-800">
            Message
          </label>
          <textarea
            {...field("message")}
            rows={5}
            required
            maxLength={CONTACT_LIMITS.message}
            placeholder="Which agents, which MCP servers, and what worries you about them?"
            className={`${inputClass("message")} resize-y`}
          />
          {fieldError("message")}
        </div>
      </div>

      <div aria-hidden="true" className="absolute -left-[10000px] h-px w-px overflow-hidden">
        <label htmlFor={`${id}-${HONEYPOT_FIELD}`}>Website</label>
        <input
          ref={honeypot}
          id={`${id}-${HONEYPOT_FIELD}`}
          name={HONEYPOT_FIELD}
          type="text"
          tabIndex={-1}
          autoComplete="off"
          defaultValue=""
        />
      </div>

      {errors.form ? (
        <p
          ref={formErrorRef}
          tabIndex={-1}
          role="alert"
          className="mt-5 rounded-md border border-rose-200 bg-rose-50 px-3 py-2.5 text-sm text-rose-800 outline-none"
        >
          {errors.form}
        </p>
      ) : null}

      <div className="mt-6 flex flex-col-reverse gap-4 sm:flex-row sm:items-center sm:justify-between">
        <p className="text-xs leading-5 text-slate-500">
          We use your details only to reply. No newsletter, no tracking.
        </p>
        <button
          type="submit"
          disabled={status === "sending"}
          className="inline-flex items-center justify-center rounded-md bg-slate-900 px-5 py-2.5 text-sm font-semibold text-white shadow-sm transition-colors hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-wait disabled:opacity-70"
        >
          {status === "sending" ? "Sending…" : "Send message"}
        </button>
      </div>
    </form>
  );
}
