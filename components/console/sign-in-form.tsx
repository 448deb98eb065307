"use client";

import { type FormEvent, useState } from "react";

import { ApiError, apiFetch, errorMessage } from "@/lib/client/api";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";

export function SignInForm() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await apiFetch("/auth/sign-in", {
        method: "POST",
        json: { email: form.get("email"), password: form.get("password") },
      });
      // A full load: the console layout must render again with the new session and CSRF token.
      window.location.replace(new URL("/console", window.location.origin).href);
    } catch (err) {
      setBusy(false);
      setError(
        err instanceof ApiError && err.body.code === "VALIDATION"
          ? "Enter your email and password."
          : errorMessage(err),
      );
    }
  }

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
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
      {error ? (
        <p
          role="alert"
          className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-700 ring-1 ring-rose-200"
        >
          {error}
        </p>
      ) : null}
      <Button type="submit" busy={busy} className="w-full">
        Sign in
      </Button>
    </form>
  );
}
