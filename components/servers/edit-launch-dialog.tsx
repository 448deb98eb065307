"use client";

import { type FormEvent, useState } from "react";

import { reportFormError } from "@/lib/client/api";
import type { UpstreamView } from "@/lib/core/upstreams/views";
import { ReauthCancelled, useReauth } from "@/components/console/reauth";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { TextField } from "@/components/ui/field";
import { useToast } from "@/components/ui/toast";
import { ListEditor } from "./add-server-dialog";
import { useUpdateUpstream } from "./queries";

/**
 * Changes what a server runs (command and arguments) or where it connects (URL). The server
 * accepts it only after a fresh password (and code) confirmation, which this dialog asks for.
 */
export function EditLaunchDialog({
  u,
  open,
  onClose,
}: {
  u: UpstreamView;
  open: boolean;
  onClose: () => void;
}) {
  const update = useUpdateUpstream();
  const reauth = useReauth();
  const toast = useToast();
  const [args, setArgs] = useState<string[]>(u.args);
  const [errors, setErrors] = useState<Record<string, string>>({});

  function close() {
    setArgs(u.args);
    setErrors({});
    onClose();
  }

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setErrors({});
    const patch =
      u.transport === "stdio"
        ? { command: String(f.get("command") ?? ""), args }
        : { url: String(f.get("url") ?? "") };
    try {
      await reauth.guard(() => update.mutateAsync({ upstreamId: u.id, ...patch }));
      toast.show(`Saved; the gateway uses it for new connections to ${u.name}.`, "success");
      onClose();
    } catch (err) {
      if (err instanceof ReauthCancelled) return;
      reportFormError(err, setErrors, (m) => toast.show(m, "error"));
    }
  }

  const argError = Object.entries(errors).find(([k]) => k === "args" || k.startsWith("args."))?.[1];
  return (
    <>
      <Dialog
        open={open}
        onClose={close}
        title={u.transport === "stdio" ? `Edit how ${u.name} starts` : `Edit where ${u.name} is`}
        description="The gateway runs this command on its host (or connects to this URL), so the change needs your password."
        className="max-w-2xl"
      >
        <form onSubmit={submit} className="space-y-4" noValidate>
          {u.transport === "stdio" ? (
            <>
              <TextField
                label="Command"
                name="command"
                defaultValue={u.command ?? ""}
                required
                spellCheck={false}
                hint="An executable (a name on PATH or a path); never a shell line."
                error={errors.command}
                className="[&_input]:font-mono"
              />
              <ListEditor
                legend="Arguments"
                hint="One argument per row, passed as they are: nothing is split or expanded."
                items={args}
                onChange={setArgs}
                addLabel="Add argument"
                placeholder="--flag"
                error={argError}
              />
            </>
          ) : (
            <TextField
              label="URL"
              name="url"
              type="url"
              defaultValue={u.url ?? ""}
              required
              spellCheck={false}
              error={errors.url}
              className="[&_input]:font-mono"
            />
          )}
          <DialogActions onCancel={close} submitLabel="Save" busy={update.isPending} />
        </form>
      </Dialog>
      {reauth.dialog}
    </>
  );
}
