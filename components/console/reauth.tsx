"use client";

import { useQuery } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useCallback, useRef, useState } from "react";

import { ApiError, apiFetch, errorMessage } from "@/lib/client/api";
import { mySecurityQuery } from "@/components/account/queries";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { TextField } from "@/components/ui/field";

export class ReauthCancelled extends Error {
  override readonly name = "ReauthCancelled";
  constructor() {
    super("Not confirmed");
  }
}

const needsReauth = (err: unknown) =>
  err instanceof ApiError &&
  (err.body.details as { reauth?: string } | undefined)?.reauth === "required";

type Pending = { resolve: () => void; reject: (e: Error) => void };

/**
 * For changes the server accepts only after a fresh password (and code) confirmation: `guard`
 * runs the change, and when the server asks for confirmation it shows the dialog, confirms,
 * and runs the change once more. Cancelling rejects with ReauthCancelled.
 */
export function useReauth(
  why = "This change decides what the gateway runs or where it connects.",
): {
  dialog: ReactNode;
  guard: <T>(run: () => Promise<T>) => Promise<T>;
} {
  const [open, setOpen] = useState(false);
  const pending = useRef<Pending | null>(null);

  const guard = useCallback(async <T,>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (!needsReauth(err)) throw err;
      await new Promise<void>((resolve, reject) => {
        pending.current = { resolve, reject };
        setOpen(true);
      });
      return run();
    }
  }, []);

  const dialog = (
    <ReauthDialog
      open={open}
      why={why}
      onConfirmed={() => {
        setOpen(false);
        pending.current?.resolve();
        pending.current = null;
      }}
      onCancel={() => {
        setOpen(false);
        pending.current?.reject(new ReauthCancelled());
        pending.current = null;
      }}
    />
  );
  return { dialog, guard };
}

function ReauthDialog({
  open,
  why,
  onConfirmed,
  onCancel,
}: {
  open: boolean;
  why: string;
  onConfirmed: () => void;
  onCancel: () => void;
}) {
  const security = useQuery({ ...mySecurityQuery(), enabled: open });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    setBusy(true);
    setErrors({});
    try {
      await apiFetch("/auth/reauth", {
        method: "POST",
        json: {
          password: f.get("password"),
          ...(f.get("code") ? { code: f.get("code") } : {}),
        },
      });
      form.reset();
      onConfirmed();
    } catch (err) {
      const fields = (err as ApiError).body?.details as { fields?: Record<string, string> };
      setErrors(fields?.fields ?? { password: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog
      open={open}
      onClose={onCancel}
      title="Confirm it's you"
      description={`${why} Confirm your password to continue; it counts for five minutes.`}
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        <TextField
          label="Your password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          autoFocus
          error={errors.password}
        />
        {security.data?.mfaEnabled ? (
          <TextField
            label="Authentication code"
            name="code"
            autoComplete="one-time-code"
            maxLength={32}
            required
            error={errors.code}
            className="[&_input]:font-mono [&_input]:tracking-widest"
          />
        ) : null}
        <DialogActions onCancel={onCancel} submitLabel="Confirm" busy={busy} />
      </form>
    </Dialog>
  );
}
