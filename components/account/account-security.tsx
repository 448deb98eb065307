"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { apiFetch, errorMessage } from "@/lib/client/api";
import { ReauthCancelled, useReauth } from "@/components/console/reauth";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { TextField } from "@/components/ui/field";
import { ErrorState, LoadingBlock } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { detailFields, mySecurityQuery, securityKeys, type TotpSetup } from "./queries";
import { RecoveryCodes } from "./recovery-codes";

function Enrol({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  async function start() {
    setBusy(true);
    setError(undefined);
    try {
      setSetup(await apiFetch<TotpSetup>("/auth/mfa/setup", { method: "POST" }));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function confirm(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const code = String(new FormData(e.currentTarget).get("code") ?? "");
    setBusy(true);
    setError(undefined);
    try {
      const res = await apiFetch<{ recoveryCodes: string[] }>("/auth/mfa/confirm", {
        method: "POST",
        json: { code },
      });
      onEnabled(res.recoveryCodes);
    } catch (err) {
      setError(detailFields(err).code ?? errorMessage(err));
      setBusy(false);
    }
  }

  if (!setup) {
    return (
      <div className="space-y-3">
        <p className="text-sm text-slate-600">
          Sign-in then asks for a six-digit code from an authenticator app (1Password, Google
          Authenticator, Authy, …) after your password, so a stolen password alone no longer opens
          the console.
        </p>
        {error ? <p className="text-sm text-rose-600">{error}</p> : null}
        <Button onClick={start} busy={busy}>
          Set up two-factor
        </Button>
      </div>
    );
  }
  return (
    <div className="grid gap-6 md:grid-cols-[auto_1fr]">
      <div className="flex flex-col items-center gap-2">
        {/* An <img> never runs what it shows: the SVG is data, not markup in the page. */}
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img
          src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qrSvg)}`}
          alt="QR code to scan with your authenticator app"
          width={184}
          height={184}
          className="rounded-lg bg-white p-1 ring-1 ring-slate-200"
        />
      </div>
      <form onSubmit={confirm} className="space-y-4" noValidate>
        <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-600">
          <li>Scan the QR code with your authenticator app.</li>
          <li>Enter the six-digit code it shows.</li>
        </ol>
        <div className="text-xs text-slate-500">
          Can&apos;t scan? Enter this key by hand:
          <code
            data-testid="totp-secret"
            className="mt-1 block rounded bg-slate-50 px-2 py-1 font-mono text-xs break-all text-slate-800 ring-1 ring-slate-200"
          >
            {setup.secret.replace(/(.{4})/g, "$1 ").trim()}
          </code>
        </div>
        <TextField
          label="Code from the app"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={8}
          required
          autoFocus
          error={error}
          className="max-w-48 [&_input]:font-mono [&_input]:tracking-widest"
        />
        <Button type="submit" busy={busy}>
          Turn on two-factor
        </Button>
      </form>
    </div>
  );
}

function TurnOff({ required }: { required: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const reauth = useReauth("This change removes a sign-in check.");
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);

  async function turnOff() {
    setAsking(false);
    setBusy(true);
    try {
      await reauth.guard(() => apiFetch("/auth/mfa/disable", { method: "POST" }));
      toast.show("Two-factor authentication is off", "success");
      await qc.invalidateQueries({ queryKey: securityKeys.mine });
    } catch (err) {
      if (!(err instanceof ReauthCancelled)) toast.show(errorMessage(err), "error");
    } finally {
      setBusy(false);
    }
  }

  if (required)
    return (
      <p className="text-sm text-slate-500">
        An admin requires two-factor authentication for every user, so it cannot be turned off.
      </p>
    );
  return (
    <div>
      <Button variant="danger" busy={busy} onClick={() => setAsking(true)}>
        Turn off two-factor
      </Button>
      <ConfirmDialog
        open={asking}
        title="Turn off two-factor?"
        confirmLabel="Turn off"
        onClose={() => setAsking(false)}
        onConfirm={() => void turnOff()}
      >
        <p>Sign-in then asks for your password alone, and your recovery codes stop working.</p>
      </ConfirmDialog>
      {reauth.dialog}
    </div>
  );
}

export function AccountSecurity({
  email,
  enrolRequired,
}: {
  email: string;
  enrolRequired: boolean;
}) {
  const qc = useQueryClient();
  const security = useQuery(mySecurityQuery());
  const [codes, setCodes] = useState<string[] | null>(null);

  return (
    <div className="max-w-3xl space-y-6">
      <PageHeader title="Account" description={`Signed in as ${email}.`} />
      {enrolRequired && !security.data?.mfaEnabled ? (
        <div
          role="alert"
          className="rounded-lg bg-indigo-50 px-4 py-3 text-sm text-indigo-800 ring-1 ring-indigo-200"
        >
          An admin requires two-factor authentication. Set it up to continue to the console.
        </div>
      ) : null}
      <Card
        title="Two-factor authentication"
        actions={
          security.data ? (
            security.data.mfaEnabled ? (
              <Badge tone="green">On</Badge>
            ) : (
              <Badge tone="slate">Off</Badge>
            )
          ) : null
        }
      >
        {security.isPending ? (
          <LoadingBlock />
        ) : security.isError ? (
          <ErrorState message={errorMessage(security.error)} onRetry={() => security.refetch()} />
        ) : codes ? (
          <RecoveryCodes
            codes={codes}
            onDone={() => {
              setCodes(null);
              if (enrolRequired)
                window.location.replace(new URL("/console", window.location.origin).href);
            }}
          />
        ) : security.data.mfaEnabled ? (
          <div className="space-y-4">
            <p className="text-sm text-slate-600">
              Sign-in asks for a code from your authenticator app after your password.{" "}
              <span className="font-medium text-slate-800">
                {security.data.recoveryCodesLeft} recovery code
                {security.data.recoveryCodesLeft === 1 ? "" : "s"} left.
              </span>
            </p>
            <TurnOff required={security.data.mfaRequired} />
          </div>
        ) : (
          <Enrol
            onEnabled={(c) => {
              setCodes(c);
              void qc.invalidateQueries({ queryKey: securityKeys.mine });
            }}
          />
        )}
      </Card>
    </div>
  );
}
