"use client";

import { type FormEvent, useState } from "react";

import { reportFormError } from "@/lib/client/api";
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { SelectField, TextField } from "@/components/ui/field";
import { useToast } from "@/components/ui/toast";
import { ReauthCancelled, useReauth } from "@/components/console/reauth";
import { useCreateUpstream } from "./queries";

type Pair = { key: string; value: string };

export function ListEditor({
  legend,
  hint,
  items,
  onChange,
  addLabel,
  placeholder,
  error,
}: {
  legend: string;
  hint: string;
  items: string[];
  onChange: (v: string[]) => void;
  addLabel: string;
  placeholder: string;
  error?: string;
}) {
  return (
    <fieldset className="space-y-1.5">
      <legend className="text-sm font-medium text-slate-700">{legend}</legend>
      <p className="text-xs text-slate-500">{hint}</p>
      <ol className="space-y-1.5">
        {items.map((item, i) => (
          <li key={i} className="flex items-center gap-2">
            <span className="w-5 text-right text-xs text-slate-400 tabular-nums" aria-hidden>
              {i + 1}
            </span>
            <input
              aria-label={`${legend} ${i + 1}`}
              value={item}
              placeholder={placeholder}
              spellCheck={false}
              onChange={(e) => onChange(items.map((x, j) => (j === i ? e.target.value : x)))}
              className="block w-full rounded-md border-0 px-3 py-1.5 font-mono text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
            />
            <Button
              variant="ghost"
              size="sm"
              onClick={() => onChange(items.filter((_, j) => j !== i))}
              aria-label={`Remove ${legend.toLowerCase()} ${i + 1}`}
            >
              Remove
            </Button>
          </li>
        ))}
      </ol>
      {error ? <p className="text-xs text-rose-600">{error}</p> : null}
      <Button variant="secondary" size="sm" onClick={() => onChange([...items, ""])}>
        {addLabel}
      </Button>
    </fieldset>
  );
}

function PairsEditor({
  legend,
  hint,
  pairs,
  onChange,
  keyLabel,
  valueLabel,
  addLabel,
  error,
}: {
  legend: string;
  hint: string;
  pairs: Pair[];
  onChange: (v: Pair[]) => void;
  keyLabel: string;
  valueLabel: string;
  addLabel: string;
  error?: string;
}) {
  return (
    <fieldset className="space-y-1.5">
      <legend className="text-sm font-medium text-slate-700">{legend}</legend>
      <p className="text-xs text-slate-500">{hint}</p>
      <ul className="space-y-1.5">
        {pairs.map((p, i) => (
          <li key={i} className="flex items-center gap-2">
            <input
              aria-label={`${keyLabel} ${i + 1}`}
              value={p.key}
              placeholder={keyLabel}
              spellCheck={false}
              onChange={(e) =>
                onChange(pairs.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))
              }
              className="block w-2/5 rounded-md border-0 px-3 py-1.5 font-mono text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
            />
            <input
              aria-label={`${valueLabel} ${i + 1}`}
              value={p.value}
              type="password"
              autoComplete="off"
              placeholder={valueLabel}
              onChange={(e) =>
                onChange(pairs.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))
              }
              className="block w-full rounded-md border-0 px-3 py-1.5 font-mono text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
            />
            <Button
              variant="ghost"
              size="sm"
              onClick={() => onChange(pairs.filter((_, j) => j !== i))}
              aria-label={`Remove ${keyLabel.toLowerCase()} ${i + 1}`}
            >
              Remove
            </Button>
          </li>
        ))}
      </ul>
      {error ? <p className="text-xs text-rose-600">{error}</p> : null}
      <Button
        variant="secondary"
        size="sm"
        onClick={() => onChange([...pairs, { key: "", value: "" }])}
      >
        {addLabel}
      </Button>
    </fieldset>
  );
}

const toRecord = (pairs: Pair[]) =>
  Object.fromEntries(pairs.filter((p) => p.key.trim()).map((p) => [p.key.trim(), p.value]));

/** Registers a server. stdio: an executable and an argument list (no shell); http: an http(s) URL. */
export function AddServerDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateUpstream();
  const reauth = useReauth();
  const toast = useToast();
  const [transport, setTransport] = useState<"stdio" | "http">("stdio");
  const [args, setArgs] = useState<string[]>([]);
  const [env, setEnv] = useState<Pair[]>([]);
  const [headers, setHeaders] = useState<Pair[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});

  function close() {
    setTransport("stdio");
    setArgs([]);
    setEnv([]);
    setHeaders([]);
    setErrors({});
    onClose();
  }

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const timeout = String(f.get("timeout") ?? "").trim();
    setErrors({});
    try {
      const input = {
        name: String(f.get("name") ?? ""),
        description: String(f.get("description") ?? "") || null,
        transport,
        ...(transport === "stdio"
          ? { command: String(f.get("command") ?? ""), args, env: toRecord(env) }
          : { url: String(f.get("url") ?? ""), headers: toRecord(headers) }),
        ...(timeout ? { timeoutMs: Math.round(Number(timeout) * 1000) } : {}),
        isolation: f.get("isolation") === "session" ? "session" : "shared",
      } as const;
      // A new server is a new command or URL for the gateway: the server may ask for the password.
      const server = await reauth.guard(() => create.mutateAsync(input));
      toast.show(
        `Added ${server.name}; agents reach it at /mcp/${server.name}. Write its policy next.`,
        "success",
      );
      close();
    } catch (err) {
      if (err instanceof ReauthCancelled) return;
      reportFormError(err, setErrors, (m) => toast.show(m, "error"));
    }
  }

  const argError = Object.entries(errors).find(([k]) => k === "args" || k.startsWith("args."))?.[1];
  const envError = Object.entries(errors).find(([k]) => k === "env" || k.startsWith("env."))?.[1];
  const headerError = Object.entries(errors).find(
    ([k]) => k === "headers" || k.startsWith("headers."),
  )?.[1];

  return (
    <>
      <Dialog
        open={open}
        onClose={close}
        title="Add a server"
        description="An MCP server the gateway fronts. Admins only: a stdio command runs on the gateway host."
        className="max-w-2xl"
      >
        <form onSubmit={submit} className="space-y-4" noValidate>
          <div className="grid grid-cols-2 gap-3">
            <TextField
              label="Name"
              name="name"
              required
              autoComplete="off"
              placeholder="github"
              error={errors.name}
              hint="Lower-case slug; the endpoint is /mcp/<name>."
            />
            <TextField
              label="Timeout (seconds)"
              name="timeout"
              type="number"
              min={1}
              max={600}
              placeholder="60"
              error={errors.timeoutMs}
            />
          </div>
          <TextField
            label="Description"
            name="description"
            maxLength={1000}
            error={errors.description}
          />
          <SelectField
            label="Connection"
            name="isolation"
            defaultValue="shared"
            error={errors.isolation}
            hint="One per session for servers that keep state per client, such as a browser or a shell."
          >
            <option value="shared">Shared by all sessions</option>
            <option value="session">One per session</option>
          </SelectField>
          <fieldset>
            <legend className="mb-1 text-sm font-medium text-slate-700">Transport</legend>
            <div className="flex gap-4">
              {(["stdio", "http"] as const).map((t) => (
                <label key={t} className="flex items-center gap-2 text-sm text-slate-700">
                  <input
                    type="radio"
                    name="transport"
                    value={t}
                    checked={transport === t}
                    onChange={() => setTransport(t)}
                    className="size-4 accent-indigo-600"
                  />
                  {t === "stdio" ? "stdio (a local command)" : "HTTP (a remote URL)"}
                </label>
              ))}
            </div>
          </fieldset>
          {transport === "stdio" ? (
            <>
              <TextField
                label="Command"
                name="command"
                required
                spellCheck={false}
                autoComplete="off"
                placeholder="node"
                className="[&_input]:font-mono"
                error={errors.command}
                hint="One executable (a path or a name on PATH). It is never run through a shell."
              />
              <ListEditor
                legend="Arguments"
                hint="One argument per field, passed as-is: quotes, spaces and ; are not interpreted."
                items={args}
                onChange={setArgs}
                addLabel="Add argument"
                placeholder="--flag or value"
                error={argError}
              />
              <PairsEditor
                legend="Environment"
                hint="Values are stored for the gateway and never shown again; the audit log keeps names only."
                pairs={env}
                onChange={setEnv}
                keyLabel="Variable"
                valueLabel="Value"
                addLabel="Add variable"
                error={envError}
              />
            </>
          ) : (
            <>
              <TextField
                label="URL"
                name="url"
                type="url"
                required
                spellCheck={false}
                autoComplete="off"
                placeholder="https://mcp.example.com/mcp"
                className="[&_input]:font-mono"
                error={errors.url}
                hint="http or https only, without credentials in it; put tokens in a header."
              />
              <PairsEditor
                legend="Headers"
                hint="Sent to the server on every request (e.g. Authorization). Values are never shown again."
                pairs={headers}
                onChange={setHeaders}
                keyLabel="Header"
                valueLabel="Value"
                addLabel="Add header"
                error={headerError}
              />
            </>
          )}
          <DialogActions onCancel={close} submitLabel="Add server" busy={create.isPending} />
        </form>
      </Dialog>
      {reauth.dialog}
    </>
  );
}
