"use client";

import { useRef, useState } from "react";

import { errorMessage } from "@/lib/client/api";
import { MAX_POLICY_BYTES } from "@/lib/core/policy/parse";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { validatePolicyDraft } from "@/components/policy-editor/queries";
import { Button } from "@/components/ui/button";
import { useToast } from "@/components/ui/toast";

/** `everything-v3.yaml`, `everything-draft.yaml`: safe as a file name whatever the server is called. */
export function exportFileName(server: string, version: number | null, dirty: boolean): string {
  const base = server.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.-]+/, "") || "policy";
  return `${base}-${dirty || version === null ? "draft" : `v${version}`}.yaml`;
}

function download(text: string, name: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/yaml;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

async function readPolicyFile(file: File): Promise<string> {
  if (file.size > MAX_POLICY_BYTES)
    throw new Error(`${file.name} is larger than ${MAX_POLICY_BYTES} bytes, the policy limit`);
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    throw new Error(`${file.name} is not UTF-8 text`);
  }
}

/**
 * Export downloads the text in the editor (the draft, or the version shown); import reads a
 * local file into the draft and checks it. Nothing is saved until the operator saves.
 */
export function YamlFileButtons({
  server,
  text,
  version,
  dirty,
  canImport,
  onImport,
}: {
  server: string;
  text: string;
  version: number | null;
  dirty: boolean;
  canImport: boolean;
  onImport: (yaml: string) => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const toast = useToast();
  const [replacing, setReplacing] = useState<{ name: string; yaml: string } | null>(null);
  const [reading, setReading] = useState(false);

  async function load(name: string, yaml: string) {
    onImport(yaml);
    setReplacing(null);
    try {
      const check = await validatePolicyDraft(yaml);
      if (check.ok)
        toast.show(
          `Loaded ${name} into the draft. It is valid; nothing is saved until you save.`,
          "info",
        );
      else
        toast.show(
          `Loaded ${name} into the draft with ${check.errors.length} problem${check.errors.length === 1 ? "" : "s"}: fix them before saving.`,
          "error",
        );
    } catch (err) {
      toast.show(
        `Loaded ${name} into the draft, but it could not be checked: ${errorMessage(err)}`,
        "error",
      );
    }
  }

  async function picked(file: File | undefined) {
    if (input.current) input.current.value = "";
    if (!file) return;
    setReading(true);
    try {
      const yaml = await readPolicyFile(file);
      if (dirty) setReplacing({ name: file.name, yaml });
      else await load(file.name, yaml);
    } catch (err) {
      toast.show(errorMessage(err), "error");
    } finally {
      setReading(false);
    }
  }

  return (
    <>
      <Button
        variant="secondary"
        onClick={() => download(text, exportFileName(server, version, dirty))}
        disabled={text.trim() === ""}
        title={dirty ? "Download the draft as a YAML file" : "Download this version as a YAML file"}
      >
        Export YAML
      </Button>
      {canImport ? (
        <>
          <Button variant="secondary" busy={reading} onClick={() => input.current?.click()}>
            Import YAML
          </Button>
          <input
            ref={input}
            type="file"
            accept=".yaml,.yml,application/yaml,text/yaml,text/plain"
            className="sr-only"
            tabIndex={-1}
            aria-label="Policy file to import"
            onChange={(e) => void picked(e.target.files?.[0])}
          />
        </>
      ) : null}
      <ConfirmDialog
        open={replacing !== null}
        title="Replace the unsaved draft?"
        confirmLabel="Replace draft"
        onConfirm={() => replacing && void load(replacing.name, replacing.yaml)}
        onClose={() => setReplacing(null)}
      >
        <p>
          Importing {replacing?.name} replaces the changes you have not saved. Nothing is saved
          until you choose Save and activate.
        </p>
      </ConfirmDialog>
    </>
  );
}
