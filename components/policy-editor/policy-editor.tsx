"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import Link from "next/link";
import { type FormEvent, useCallback, useState } from "react";

import { ApiError, errorMessage } from "@/lib/client/api";
import { formatDateTime } from "@/lib/client/format";
import type {
  PolicyIssueView,
  PolicyValidationView,
  PolicyVersionView,
} from "@/lib/core/policies/views";
import { activePolicyQuery } from "@/components/audit/queries";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { useCan } from "@/components/console/session-context";
import { PolicyView } from "@/components/policies/policy-view";
import { PolicyTryOut } from "@/components/policies/policy-try-out";
import { StructuredView } from "@/components/policies/structured-view";
import { UnsavedGuard } from "@/components/policies/unsaved-guard";
import { DRAFT, VersionDiffDialog } from "@/components/policies/version-diff";
import { YamlFileButtons } from "@/components/policies/yaml-file-buttons";
import { LineDiff } from "@/components/tools/line-diff";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { Dialog } from "@/components/ui/dialog";
import { TextField } from "@/components/ui/field";
import { EmptyState, ErrorState, LoadingBlock, Spinner } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import {
  fetchStarterPolicy,
  policyVersionQuery,
  policyVersionsQuery,
  useActivateVersion,
  useSavePolicy,
  validatePolicyDraft,
} from "./queries";

const YamlEditor = dynamic(() => import("./yaml-editor").then((m) => m.YamlEditor), {
  ssr: false,
  loading: () => (
    <LoadingBlock
      label="Loading editor…"
      className="min-h-[28rem] rounded-lg ring-1 ring-slate-200"
    />
  ),
});

type Check =
  | { state: "idle" | "checking" }
  | { state: "done"; result: PolicyValidationView; text: string }
  | { state: "failed"; message: string };

const where = (i: PolicyIssueView) => (i.line !== undefined ? `${i.line}:${i.column ?? 1}` : "—");

function ProblemList({
  check,
  serverErrors,
  readOnly,
}: {
  check: Check;
  serverErrors: PolicyIssueView[] | null;
  readOnly: boolean;
}) {
  const errors = serverErrors ?? (check.state === "done" ? check.result.errors : []);
  const warnings = check.state === "done" ? check.result.warnings : [];
  return (
    <section
      aria-labelledby="problems-heading"
      className="rounded-lg bg-white ring-1 ring-slate-200"
    >
      <header className="flex items-center justify-between border-b border-slate-100 px-4 py-2.5">
        <h2 id="problems-heading" className="text-sm font-semibold text-slate-900">
          Problems
        </h2>
        <span aria-live="polite" className="text-xs">
          {check.state === "checking" || check.state === "idle" ? (
            <Spinner label="Checking…" className="text-xs" />
          ) : check.state === "failed" ? (
            <span className="text-rose-700">Could not check: {check.message}</span>
          ) : errors.length > 0 ? (
            <Badge tone="red">
              {errors.length} error{errors.length === 1 ? "" : "s"}
            </Badge>
          ) : (
            <Badge tone="green">Valid</Badge>
          )}
        </span>
      </header>
      {errors.length + warnings.length > 0 ? (
        <ul
          className="max-h-56 divide-y divide-slate-100 overflow-auto text-sm"
          data-testid="policy-problems"
        >
          {errors.map((e, i) => (
            <li key={`e${i}`} className="flex gap-3 px-4 py-2">
              <span
                className="w-14 shrink-0 font-mono text-xs text-rose-700 tabular-nums"
                title="line:column"
              >
                {where(e)}
              </span>
              <span className="min-w-0 text-slate-800">
                {e.path ? (
                  <code className="mr-1.5 font-mono text-xs text-slate-500">{e.path}</code>
                ) : null}
                {e.message}
              </span>
            </li>
          ))}
          {warnings.map((w, i) => (
            <li key={`w${i}`} className="flex gap-3 px-4 py-2">
              <span className="w-14 shrink-0 font-mono text-xs text-amber-700 tabular-nums">
                {where(w)}
              </span>
              <span className="min-w-0 text-slate-700">
                <span className="mr-1.5 text-xs font-medium text-amber-700">warning</span>
                {w.path ? (
                  <code className="mr-1.5 font-mono text-xs text-slate-500">{w.path}</code>
                ) : null}
                {w.message}
              </span>
            </li>
          ))}
        </ul>
      ) : check.state === "done" ? (
        <p className="px-4 py-3 text-sm text-slate-500">
          {readOnly
            ? "No problems."
            : "No problems. Saving makes this the version in force on the next call."}
        </p>
      ) : null}
    </section>
  );
}

function VersionDialog({ version, onClose }: { version: PolicyVersionView; onClose: () => void }) {
  const detail = useQuery(policyVersionQuery(version.id));
  return (
    <Dialog
      open
      onClose={onClose}
      variant="drawer"
      title={`Version ${version.version}`}
      description={`Saved by ${version.author} on ${formatDateTime(version.createdAt)}${version.comment ? ` — ${version.comment}` : ""}`}
    >
      {detail.isPending ? (
        <LoadingBlock />
      ) : detail.isError ? (
        <ErrorState message={errorMessage(detail.error)} onRetry={() => detail.refetch()} />
      ) : (
        <PolicyView yaml={detail.data.yaml} />
      )}
    </Dialog>
  );
}

function History({
  upstreamId,
  draft,
  canEdit,
  onLoad,
}: {
  upstreamId: string;
  draft: string | null;
  canEdit: boolean;
  onLoad: (v: PolicyVersionView) => void;
}) {
  const versions = useQuery(policyVersionsQuery(upstreamId));
  const activate = useActivateVersion(upstreamId);
  const toast = useToast();
  const [open, setOpen] = useState<PolicyVersionView | null>(null);
  const [compare, setCompare] = useState<{ from: string; to: string } | null>(null);
  const activeId = versions.data?.find((v) => v.active)?.id;
  const [rollback, setRollback] = useState<PolicyVersionView | null>(null);

  async function confirmRollback() {
    if (!rollback) return;
    try {
      await activate.mutateAsync(rollback.id);
      toast.show(`Version ${rollback.version} is in force from the next call.`, "success");
      setRollback(null);
    } catch (err) {
      toast.show(errorMessage(err), "error");
    }
  }

  return (
    <Card
      title="Version history"
      bodyClassName="p-0"
      actions={
        versions.data?.[0] ? (
          <Button
            size="sm"
            variant="secondary"
            onClick={() =>
              setCompare({
                from: versions.data[1]?.id ?? versions.data[0]?.id ?? "",
                to: draft !== null ? DRAFT : (versions.data[0]?.id ?? ""),
              })
            }
          >
            Compare versions
          </Button>
        ) : null
      }
    >
      {versions.isPending ? (
        <LoadingBlock label="Loading versions…" />
      ) : versions.isError ? (
        <div className="p-4">
          <ErrorState message={errorMessage(versions.error)} onRetry={() => versions.refetch()} />
        </div>
      ) : versions.data.length === 0 ? (
        <EmptyState title="No versions yet">Every save is kept as an immutable version.</EmptyState>
      ) : (
        <ol
          className="max-h-[36rem] divide-y divide-slate-100 overflow-auto"
          aria-label="Saved versions, newest first"
        >
          {versions.data.map((v) => (
            <li key={v.id} className={cn("px-4 py-3", v.active && "bg-indigo-50/50")}>
              <div className="flex items-center justify-between gap-2">
                <span className="flex items-center gap-2 text-sm font-medium text-slate-900">
                  Version {v.version} {v.active ? <Badge tone="violet">Active</Badge> : null}
                </span>
                <span className="text-xs text-slate-500 tabular-nums">
                  {formatDateTime(v.createdAt)}
                </span>
              </div>
              <p className="mt-0.5 text-xs text-slate-500">by {v.author}</p>
              {v.comment ? <p className="mt-1 text-sm text-slate-700">{v.comment}</p> : null}
              <div className="mt-2 flex flex-wrap gap-1.5">
                <Button
                  size="sm"
                  variant="secondary"
                  onClick={() => setOpen(v)}
                  aria-label={`View version ${v.version}`}
                >
                  View
                </Button>
                {!v.active && activeId ? (
                  <Button
                    size="sm"
                    variant="secondary"
                    onClick={() => setCompare({ from: activeId, to: v.id })}
                    aria-label={`Diff version ${v.version} against the active version`}
                  >
                    Diff with active
                  </Button>
                ) : null}
                {canEdit ? (
                  <Button
                    size="sm"
                    variant="ghost"
                    onClick={() => onLoad(v)}
                    aria-label={`Load version ${v.version} into the editor`}
                  >
                    Load into editor
                  </Button>
                ) : null}
                {canEdit && !v.active ? (
                  <Button
                    size="sm"
                    variant="ghost"
                    onClick={() => setRollback(v)}
                    aria-label={`Activate version ${v.version}`}
                  >
                    Activate
                  </Button>
                ) : null}
              </div>
            </li>
          ))}
        </ol>
      )}
      {open ? <VersionDialog version={open} onClose={() => setOpen(null)} /> : null}
      {compare ? (
        <VersionDiffDialog
          upstreamId={upstreamId}
          from={compare.from}
          to={compare.to}
          draft={draft}
          onClose={() => setCompare(null)}
        />
      ) : null}
      <ConfirmDialog
        open={!!rollback}
        title={`Activate version ${rollback?.version ?? ""}?`}
        confirmLabel="Activate"
        tone="primary"
        busy={activate.isPending}
        onConfirm={confirmRollback}
        onClose={() => setRollback(null)}
      >
        <p>
          The gateway enforces version {rollback?.version} from the next call. The current version
          stays in the history; you can switch back at any time.
        </p>
      </ConfirmDialog>
    </Card>
  );
}

export function PolicyEditor({ upstreamId, server }: { upstreamId: string; server: string }) {
  const canEdit = useCan("editor");
  const active = useQuery(activePolicyQuery(upstreamId));
  const save = useSavePolicy(upstreamId);
  const qc = useQueryClient();
  const toast = useToast();
  const [draft, setDraft] = useState<string | null>(null);
  const [check, setCheck] = useState<Check>({ state: "idle" });
  const [serverErrors, setServerErrors] = useState<PolicyIssueView[] | null>(null);
  const [showChanges, setShowChanges] = useState(false);
  const [starting, setStarting] = useState(false);
  const [comment, setComment] = useState("");

  const activeYaml = active.data?.yaml ?? null;
  const text = draft ?? activeYaml ?? "";
  const dirty = draft !== null && draft !== (activeYaml ?? "");

  const validate = useCallback((yaml: string, signal: AbortSignal) => {
    setCheck({ state: "checking" });
    return validatePolicyDraft(yaml, signal);
  }, []);

  const onValidated = useCallback(
    (result: PolicyValidationView | { failed: string }, checked: string) => {
      setServerErrors(null);
      setCheck(
        "failed" in result
          ? { state: "failed", message: result.failed }
          : { state: "done", result, text: checked },
      );
    },
    [],
  );

  const onChange = useCallback((v: string) => {
    setDraft(v);
    setCheck({ state: "checking" });
  }, []);

  async function loadStarter() {
    setStarting(true);
    try {
      const starter = await fetchStarterPolicy(upstreamId);
      setDraft(starter.yaml);
      toast.show(
        starter.tools > 0
          ? `Starter policy for ${starter.tools} tool${starter.tools === 1 ? "" : "s"}; review every rule before saving.`
          : "No tools recorded yet: the starter lists none (default deny).",
        "info",
      );
    } catch (err) {
      toast.show(errorMessage(err), "error");
    } finally {
      setStarting(false);
    }
  }

  async function loadVersion(v: PolicyVersionView) {
    try {
      setDraft((await qc.fetchQuery(policyVersionQuery(v.id))).yaml);
      toast.show(
        `Loaded version ${v.version} into the editor; saving makes it a new version.`,
        "info",
      );
    } catch (err) {
      toast.show(errorMessage(err), "error");
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    try {
      const saved = await save.mutateAsync({ yaml: text, comment: comment.trim() || null });
      setDraft(null);
      setComment("");
      setShowChanges(false);
      toast.show(`Saved version ${saved.version.version}; enforced from the next call.`, "success");
    } catch (err) {
      if (err instanceof ApiError && err.body.code === "VALIDATION") {
        const details = err.body.details as { errors?: PolicyIssueView[] } | undefined;
        if (details?.errors) setServerErrors(details.errors);
      }
      toast.show(errorMessage(err), "error");
    }
  }

  if (active.isPending) return <LoadingBlock label="Loading policy…" className="min-h-[60vh]" />;
  if (active.isError)
    return <ErrorState message={errorMessage(active.error)} onRetry={() => active.refetch()} />;

  const known = check.state === "done" && check.text === text;
  const invalid = (serverErrors?.length ?? 0) > 0 || (known && !check.result.ok);
  const canSave =
    canEdit &&
    text.trim() !== "" &&
    known &&
    check.result.ok &&
    !serverErrors &&
    (dirty || activeYaml === null);
  const version = active.data.version;

  return (
    <div className="space-y-4">
      <UnsavedGuard when={dirty} what={`The policy draft for ${server}`} />
      <div>
        <Link
          href="/console/policies"
          className="text-sm text-slate-500 hover:text-slate-800 hover:underline"
        >
          ← Policies
        </Link>
        <PageHeader
          title={`${canEdit ? "Edit policy" : "Policy"}: ${server}`}
          description={
            version
              ? `Version ${version.version} is in force, saved by ${version.author} on ${formatDateTime(version.createdAt)}${version.comment ? ` — ${version.comment}` : ""}.`
              : "This server has no policy yet: the gateway refuses every call no grant allows."
          }
          actions={
            <>
              <Link
                href={`/console/servers/${encodeURIComponent(server)}`}
                className="text-sm font-medium text-indigo-700 hover:underline"
              >
                Tools of {server} →
              </Link>
              <YamlFileButtons
                server={server}
                text={text}
                version={version?.version ?? null}
                dirty={dirty}
                canImport={canEdit}
                onImport={onChange}
              />
              {canEdit && (activeYaml === null || text.trim() === "") ? (
                <Button variant="secondary" busy={starting} onClick={loadStarter}>
                  Starter policy
                </Button>
              ) : null}
            </>
          }
        />
      </div>
      {!canEdit ? (
        <p className="rounded-lg bg-slate-100 px-4 py-2.5 text-sm text-slate-600" role="note">
          Read only: saving and activating policies needs the editor role.
        </p>
      ) : null}
      <div className="grid gap-4 xl:grid-cols-[minmax(0,1fr)_26rem]">
        <div className="min-w-0 space-y-4">
          <div className="flex items-center justify-between gap-2">
            <div className="flex items-center gap-2 text-sm text-slate-600">
              {dirty ? (
                <Badge tone="amber">Unsaved changes</Badge>
              ) : version ? (
                <Badge tone="slate">Showing version {version.version}</Badge>
              ) : (
                <Badge tone="slate">New policy</Badge>
              )}
            </div>
            {canEdit && dirty ? (
              <div className="flex gap-2">
                <Button
                  size="sm"
                  variant="secondary"
                  onClick={() => setShowChanges((s) => !s)}
                  aria-expanded={showChanges}
                >
                  {showChanges ? "Hide changes" : "Review changes"}
                </Button>
                <Button size="sm" variant="ghost" onClick={() => setDraft(null)}>
                  Discard
                </Button>
              </div>
            ) : null}
          </div>
          <YamlEditor
            value={text}
            onChange={onChange}
            readOnly={!canEdit}
            validate={validate}
            onValidated={onValidated}
            label={`Policy YAML for ${server}`}
          />
          {showChanges && dirty ? (
            <LineDiff
              before={activeYaml ?? ""}
              after={text}
              beforeLabel={version ? `version ${version.version} (active)` : "no policy"}
              afterLabel="your draft"
              label="Changes in the draft"
            />
          ) : null}
          <ProblemList check={check} serverErrors={serverErrors} readOnly={!canEdit} />
          <PolicyTryOut upstreamId={upstreamId} server={server} draft={dirty ? text : null} />
        </div>
        <div className="space-y-4">
          {canEdit ? (
            <Card title="Save">
              <form onSubmit={submit} className="space-y-3">
                <TextField
                  label="Comment"
                  value={comment}
                  onChange={(e) => setComment(e.target.value)}
                  maxLength={500}
                  placeholder="What changed and why"
                  hint="Kept with the version in the history and the audit log."
                />
                <Button type="submit" className="w-full" busy={save.isPending} disabled={!canSave}>
                  Save and activate
                </Button>
                <p className="text-xs text-slate-500" aria-live="polite">
                  {invalid
                    ? "Fix the problems first: an invalid policy is never saved or activated."
                    : !dirty && activeYaml !== null
                      ? "No changes to save."
                      : "A new immutable version; the gateway enforces it on the next call."}
                </p>
              </form>
            </Card>
          ) : null}
          <StructuredView server={server} text={text} canEdit={canEdit} onEdit={onChange} />
          <History
            upstreamId={upstreamId}
            draft={dirty ? text : null}
            canEdit={canEdit}
            onLoad={loadVersion}
          />
        </div>
      </div>
    </div>
  );
}
