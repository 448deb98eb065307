"use client";

import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { errorMessage, reportFormError } from "@/lib/client/api";
import { formatDateTime } from "@/lib/client/format";
import { MIN_PASSWORD_LENGTH, ROLE_VALUES } from "@/lib/core/users/inputs";
import type { Role } from "@/lib/core/users/role";
import type { UserView } from "@/lib/core/users/views";
import { ReauthCancelled, useReauth } from "@/components/console/reauth";
import { useMe } from "@/components/console/session-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { SelectField, TextField } from "@/components/ui/field";
import { EmptyState, ErrorState, LoadingBlock } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { TableHead } from "@/components/ui/table-head";
import {
  authSettingsQuery,
  useCreateUser,
  userListQuery,
  useSetMfaRequired,
  useUpdateUser,
  useUserAction,
} from "./queries";

const ROLE_HELP: Record<Role, string> = {
  admin: "Everything, including users and servers",
  editor: "Policies, grants and approvals",
  viewer: "Read only; tool arguments hidden",
};

const GRANTS_ACCESS = "This change gives someone more access to the console.";

function CreateUserDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateUser();
  const toast = useToast();
  const reauth = useReauth(GRANTS_ACCESS);
  const [errors, setErrors] = useState<Record<string, string>>({});

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setErrors({});
    try {
      const input = {
        email: String(f.get("email") ?? ""),
        name: String(f.get("name") ?? ""),
        password: String(f.get("password") ?? ""),
        role: String(f.get("role") ?? "viewer") as Role,
      };
      // An editor or admin: the server asks for the admin's own password first.
      const user = await reauth.guard(() => create.mutateAsync(input));
      toast.show(`Created ${user.email} (${user.role})`, "success");
      onClose();
    } catch (err) {
      if (err instanceof ReauthCancelled) return;
      reportFormError(err, setErrors, (m) => toast.show(m, "error"));
    }
  }

  return (
    <>
      <Dialog
        open={open}
        onClose={onClose}
        title="Add a console user"
        description="They sign in with this email and password."
      >
        <form onSubmit={submit} className="space-y-4" noValidate>
          <TextField
            label="Email"
            name="email"
            type="email"
            required
            autoComplete="off"
            error={errors.email}
          />
          <TextField label="Name" name="name" required error={errors.name} />
          <TextField
            label="Password"
            name="password"
            type="password"
            required
            autoComplete="new-password"
            minLength={MIN_PASSWORD_LENGTH}
            hint={`At least ${MIN_PASSWORD_LENGTH} characters. Share it privately.`}
            error={errors.password}
          />
          <SelectField label="Role" name="role" defaultValue="viewer" error={errors.role}>
            {ROLE_VALUES.map((r) => (
              <option key={r} value={r}>
                {r} — {ROLE_HELP[r]}
              </option>
            ))}
          </SelectField>
          <DialogActions onCancel={onClose} submitLabel="Create user" busy={create.isPending} />
        </form>
      </Dialog>
      {reauth.dialog}
    </>
  );
}

const WEAKENS_MFA = "This change removes a sign-in check.";

function UserRow({ u, me }: { u: UserView; me: string }) {
  const update = useUpdateUser();
  const act = useUserAction();
  const toast = useToast();
  const reauth = useReauth(WEAKENS_MFA);
  const raise = useReauth(GRANTS_ACCESS);
  const [confirmReset, setConfirmReset] = useState(false);
  async function run(action: "unlock" | "reset-mfa", done: string) {
    try {
      await reauth.guard(() => act.mutateAsync({ id: u.id, action }));
      toast.show(done, "success");
    } catch (err) {
      if (!(err instanceof ReauthCancelled)) toast.show(errorMessage(err), "error");
    }
  }
  async function change(patch: { role?: Role; disabled?: boolean }, done: string) {
    try {
      // A promotion or re-enabling: the server asks for the admin's own password first.
      await raise.guard(() => update.mutateAsync({ id: u.id, ...patch }));
      toast.show(done, "success");
    } catch (err) {
      if (!(err instanceof ReauthCancelled)) toast.show(errorMessage(err), "error");
    }
  }
  return (
    <tr className={u.disabled ? "bg-slate-50/60 text-slate-400" : undefined}>
      <td className="px-4 py-2.5">
        <p className="font-medium text-slate-900">
          {u.name} {u.id === me ? <Badge tone="blue">you</Badge> : null}
        </p>
        <p className="text-xs text-slate-500">{u.email}</p>
      </td>
      <td className="px-4 py-2.5">
        <label className="sr-only" htmlFor={`role-${u.id}`}>
          Role of {u.email}
        </label>
        <select
          id={`role-${u.id}`}
          value={u.role}
          disabled={update.isPending || u.disabled}
          onChange={(e) =>
            change({ role: e.target.value as Role }, `${u.email} is now ${e.target.value}`)
          }
          className="rounded-md border-0 py-1 pr-8 pl-2 text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
        >
          {ROLE_VALUES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </td>
      <td className="px-4 py-2.5">
        <div className="flex flex-wrap items-center gap-1.5">
          {u.disabled ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Active</Badge>}
          {u.failedSignIns > 0 ? (
            <Badge tone="amber">
              {u.failedSignIns} failed sign-in{u.failedSignIns === 1 ? "" : "s"}
              {u.signInDelaySeconds > 0 ? ` · wait ${u.signInDelaySeconds} s` : ""}
            </Badge>
          ) : null}
        </div>
      </td>
      <td className="px-4 py-2.5">
        {u.mfaEnabled ? <Badge tone="green">On</Badge> : <Badge tone="slate">Off</Badge>}
      </td>
      <td className="px-4 py-2.5 text-slate-500 tabular-nums">
        {u.lastLoginAt ? formatDateTime(u.lastLoginAt) : "Never"}
      </td>
      <td className="px-4 py-2.5 text-right whitespace-nowrap">
        {reauth.dialog}
        {raise.dialog}
        {u.failedSignIns > 0 ? (
          <Button
            size="sm"
            variant="secondary"
            busy={act.isPending && act.variables?.action === "unlock"}
            onClick={() => run("unlock", `${u.email} can try again at once`)}
            aria-label={`Unlock ${u.email}`}
          >
            Unlock
          </Button>
        ) : null}
        {u.mfaEnabled && u.id !== me ? (
          <Button
            size="sm"
            variant="ghost"
            busy={act.isPending && act.variables?.action === "reset-mfa"}
            onClick={() => setConfirmReset(true)}
            aria-label={`Reset two-factor of ${u.email}`}
          >
            Reset 2FA
          </Button>
        ) : null}
        <ConfirmDialog
          open={confirmReset}
          title="Remove two-factor?"
          confirmLabel="Remove two-factor"
          onClose={() => setConfirmReset(false)}
          onConfirm={() => {
            setConfirmReset(false);
            void run("reset-mfa", `Two-factor removed from ${u.email}`);
          }}
        >
          <p>
            <strong className="text-slate-900">{u.email}</strong> is signed out everywhere and signs
            in with a password alone until they set up two-factor again (at once, where two-factor
            is required).
          </p>
          <p>Use it when they lost their authenticator and their recovery codes.</p>
        </ConfirmDialog>
        {u.id === me ? null : (
          <Button
            size="sm"
            variant={u.disabled ? "secondary" : "ghost"}
            busy={update.isPending && update.variables?.disabled !== undefined}
            onClick={() =>
              change(
                { disabled: !u.disabled },
                u.disabled
                  ? `${u.email} can sign in again`
                  : `${u.email} is disabled and signed out`,
              )
            }
            aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.email}`}
          >
            {u.disabled ? "Enable" : "Disable"}
          </Button>
        )}
      </td>
    </tr>
  );
}

function RequireMfa() {
  const settings = useQuery(authSettingsQuery());
  const set = useSetMfaRequired();
  const toast = useToast();
  const required = settings.data?.mfaRequired ?? false;
  const reauth = useReauth(WEAKENS_MFA);
  async function toggle() {
    try {
      await reauth.guard(() => set.mutateAsync(!required));
      toast.show(
        required
          ? "Two-factor is optional again"
          : "Two-factor is required: users without it set it up at their next page",
        "success",
      );
    } catch (err) {
      if (!(err instanceof ReauthCancelled)) toast.show(errorMessage(err), "error");
    }
  }
  return (
    <Card className="mb-4">
      {reauth.dialog}
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="min-w-0">
          <p className="text-sm font-medium text-slate-900">
            Require two-factor authentication{" "}
            {settings.data ? (
              required ? (
                <Badge tone="green">Required</Badge>
              ) : (
                <Badge tone="slate">Optional</Badge>
              )
            ) : null}
          </p>
          <p className="mt-0.5 text-xs text-slate-500">
            Users without it are sent to set it up after they sign in. Set it up for your own
            account first.
          </p>
        </div>
        <Button
          variant={required ? "secondary" : "primary"}
          busy={set.isPending}
          disabled={!settings.data}
          onClick={toggle}
        >
          {required ? "Make optional" : "Require for everyone"}
        </Button>
      </div>
    </Card>
  );
}

export function Users() {
  const me = useMe();
  const users = useQuery(userListQuery());
  const [creating, setCreating] = useState(false);
  return (
    <div>
      <PageHeader
        title="Users"
        description="People who can sign in to this console, and what they may do."
        actions={<Button onClick={() => setCreating(true)}>Add user</Button>}
      />
      <RequireMfa />
      <Card bodyClassName="p-0">
        {users.isPending ? (
          <LoadingBlock />
        ) : users.isError ? (
          <div className="p-4">
            <ErrorState message={errorMessage(users.error)} onRetry={() => users.refetch()} />
          </div>
        ) : users.data.length === 0 ? (
          <EmptyState title="No users" />
        ) : (
          <div className="relative overflow-x-auto">
            <table className="w-full text-left text-sm" aria-label="Console users">
              <TableHead
                columns={[
                  "User",
                  "Role",
                  "Status",
                  "Two-factor",
                  "Last sign-in",
                  { label: "Actions", hidden: true, align: "right" },
                ]}
              />
              <tbody className="divide-y divide-slate-100">
                {users.data.map((u) => (
                  <UserRow key={u.id} u={u} me={me.id} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <p className="mt-3 text-xs text-slate-500">
        Roles: <strong>admin</strong> — {ROLE_HELP.admin}; <strong>editor</strong> —{" "}
        {ROLE_HELP.editor}; <strong>viewer</strong> — {ROLE_HELP.viewer}. The last active admin
        cannot be demoted or disabled. Failed sign-ins slow an account down (up to 30 s between
        tries) but never lock it; Unlock clears the count.
      </p>
      <CreateUserDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}
