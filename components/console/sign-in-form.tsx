"use client";

import { type FormEvent, useState } from "react";

import { ApiError, apiFetch, errorMessage } from "@/lib/client/api";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";

// A full load after signing in: the console layout must render again with the new session
// and CSRF token.
const enterConsole = () =>
  window.location.replace(new URL("/console", window.location.origin).href);

function Alert({ message }: { message: string | null }) {
  return message ? (
    <p
      role="alert"
      className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-700 ring-1 ring-rose-200"
    >
      {message}
    </p>
  ) : null;
}

/**
 * Email and password, then, for an account with two-factor, a code from the authenticator app
 * (or a recovery code). The second step holds no password: the server keeps a short-lived
 * challenge in an HttpOnly cookie.
 */
export function SignInForm() {
  const [step, setStep] = useState<"password" | "code">("password");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submitPassword(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const res = await apiFetch<{ secondFactor?: boolean }>("/auth/sign-in", {
        method: "POST",
        json: { email: form.get("email"), password: form.get("password") },
      });
      if (res.secondFactor) {
        setBusy(false);
        setStep("code");
        return;
      }
      enterConsole();
    } catch (err) {
      setBusy(false);
      setError(
        err instanceof ApiError && err.body.code === "VALIDATION"
          ? "Enter your email and password."
          : errorMessage(err),
      );
    }
  }

  async function submitCode(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await apiFetch("/auth/sign-in/code", { method: "POST", json: { code: form.get("code") } });
      enterConsole();
    } catch (err) {
      setBusy(false);
      const restart =
        err instanceof ApiError && (err.body.details as { restart?: boolean })?.restart;
      if (restart) setStep("password");
      setError(
        err instanceof ApiError && err.body.code === "VALIDATION"
          ? "Enter the six-digit code from your authenticator app."
          : errorMessage(err),
      );
    }
  }

  if (step === "code") {
    return (
      <form onSubmit={submitCode} className="space-y-4" noValidate>
        <p className="text-sm text-slate-600">
          Two-factor authentication is on for this account. Enter the six-digit code from your
          authenticator app, or one of your recovery codes.
        </p>
        <TextField
          key="code"
          label="Authentication code"
          name="code"
          inputMode="text"
          autoComplete="one-time-code"
          spellCheck={false}
          maxLength={32}
          required
          autoFocus
          className="[&_input]:font-mono [&_input]:tracking-widest"
        />
        <Alert message={error} />
        <Button type="submit" busy={busy} className="w-full">
          Verify
        </Button>
        <button
          type="button"
          onClick={() => {
            setStep("password");
            setError(null);
          }}
          className="w-full text-center text-xs font-medium text-slate-500 hover:text-slate-700"
        >
          Use a different account
        </button>
      </form>
    );
  }

  return (
    <form onSubmit={submitPassword} className="space-y-4" noValidate>
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="username"
        required
        autoFocus
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
      />
      <Alert message={error} />
      <Button type="submit" busy={busy} className="w-full">
        Sign in
      </Button>
    </form>
  );
}
