"use client";

import { useQuery } from "@tanstack/react-query";

import { apiFetch, apiUrl } from "@/lib/client/api";
import { formatAgo, formatDateTime } from "@/lib/client/format";
import type { AuditIntegrityView, ChainVerification } from "@/lib/core/audit/views";
import { cn } from "@/components/ui/cn";
import { IconDownload, IconKey, IconShield } from "@/components/ui/icons";

export const integrityKey = ["audit", "integrity"] as const;

function scheduleText({ everyRows, everyMinutes }: AuditIntegrityView["schedule"]): string {
  const parts = [
    everyRows > 0 ? `${everyRows.toLocaleString()} rows` : null,
    everyMinutes > 0 ? `${everyMinutes} min` : null,
  ].filter(Boolean);
  return parts.length ? `every ${parts.join(" or ")}` : "off (run portcullis audit checkpoint)";
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

const linkClass =
  "inline-flex h-8 items-center gap-1.5 rounded-md bg-white px-2.5 text-xs font-medium text-slate-800 shadow-xs ring-1 ring-slate-300 ring-inset hover:bg-slate-50";

/** Signed checkpoints, the signing key and retention, with the files an outside witness keeps. */
export function IntegrityPanel() {
  const q = useQuery({
    queryKey: integrityKey,
    queryFn: () => apiFetch<AuditIntegrityView>("/audit/integrity"),
    refetchInterval: 30_000,
  });
  const s = q.data;
  if (!s) return null;
  const cp = s.lastCheckpoint;
  const r = s.retention;
  return (
    <section
      aria-label="Audit integrity"
      className="rounded-xl bg-white px-4 py-3 shadow-xs ring-1 ring-slate-200"
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="flex items-center gap-2 text-sm font-semibold text-slate-900">
          <IconShield className="size-4 text-indigo-600" /> Integrity
        </h2>
        <div className="flex gap-2">
          <a href={apiUrl("/audit/checkpoints")} className={linkClass} download>
            <IconDownload className="size-3.5" /> Checkpoints
          </a>
          <a href={apiUrl("/audit/checkpoints/public-key")} className={linkClass} download>
            <IconKey className="size-3.5" /> Public key
          </a>
        </div>
      </div>
      <dl className="mt-2 grid grid-cols-1 gap-x-8 gap-y-2 sm:grid-cols-3">
        <Fact label="Last signed checkpoint">
          {cp ? (
            <span title={`${cp.hash} · signed ${formatDateTime(cp.at)}`}>
              #{cp.seq.toLocaleString()} · {formatAgo(cp.at)} ago · key{" "}
              <code className="font-mono text-xs">{cp.keyId}</code>
            </span>
          ) : (
            <span className="text-slate-500">none yet</span>
          )}
        </Fact>
        <Fact label="Automatic checkpoints">{scheduleText(s.schedule)}</Fact>
        <Fact label="Retention">
          {r.days > 0 ? `archive after ${r.days} days` : "keep every row"}
          {r.archives > 0
            ? ` · ${r.archives} archive${r.archives === 1 ? "" : "s"} through #${r.archivedThrough.toLocaleString()}`
            : ""}
        </Fact>
      </dl>
    </section>
  );
}

const rows = (a: { fromSeq: number; toSeq: number }) =>
  `#${a.fromSeq.toLocaleString()}–#${a.toSeq.toLocaleString()}`;

/** The recorded archives against the files in the archive folder, when a verification looked. */
function ArchiveFiles({ archives }: { archives: NonNullable<ChainVerification["archives"]> }) {
  const { recorded, matched, missing } = archives;
  return (
    <>
      {matched > 0 ? (
        <>
          {" "}
          {matched === recorded
            ? `${recorded === 1 ? "The archive file matches its record" : `All ${recorded} archive files match their records`} (SHA-256).`
            : `${matched} of ${recorded} archive files match their records (SHA-256).`}
        </>
      ) : null}
      {missing.length > 0 ? (
        <span className="mt-2 block rounded-md bg-amber-50 px-3 py-2 text-amber-900 ring-1 ring-amber-200">
          <strong>
            {missing.length === 1
              ? "An archive file is not in the archive folder"
              : `${missing.length} archive files are not in the archive folder`}
            :
          </strong>{" "}
          {missing.map((a, i) => (
            <span key={a.file}>
              {i > 0 ? ", " : ""}rows {rows(a)} (<code className="font-mono text-xs">{a.file}</code>
              )
            </span>
          ))}
          . Those rows are proven only by their file: verify your copy with{" "}
          <code className="font-mono text-xs">portcullis audit verify --archive FILE</code>.
        </span>
      ) : null}
    </>
  );
}

/** The outcome of Verify: how far the chain was checked and which signed checkpoint it reached. */
export function VerifyResult({ result }: { result: ChainVerification }) {
  const cp = result.lastCheckpoint;
  const from =
    result.boundarySeq > 0
      ? ` from the archive boundary at #${result.boundarySeq.toLocaleString()}`
      : "";
  return (
    <div
      role="status"
      className={cn(
        "rounded-lg px-4 py-3 text-sm ring-1",
        result.ok
          ? "bg-emerald-50 text-emerald-900 ring-emerald-200"
          : "bg-rose-50 text-rose-900 ring-rose-200",
      )}
    >
      {result.ok && result.rows === 0 && result.boundarySeq === 0 ? (
        <>
          <strong>Nothing to verify.</strong> The audit log was empty at{" "}
          {formatDateTime(result.checkedAt)}.
        </>
      ) : result.ok ? (
        <>
          <strong>Chain intact.</strong> {result.rows.toLocaleString()} rows verified{from} up to #
          {result.headSeq.toLocaleString()} (head{" "}
          <code className="font-mono text-xs">{result.headHash.slice(0, 16)}…</code>) at{" "}
          {formatDateTime(result.checkedAt)}.{" "}
          {cp?.inDatabase ? (
            <>
              Consistent with the last signed checkpoint <strong>#{cp.seq.toLocaleString()}</strong>{" "}
              (signed {formatDateTime(cp.at)}, key{" "}
              <code className="font-mono text-xs">{cp.keyId}</code>)
              {result.signaturesChecked > 0
                ? `; ${result.signaturesChecked.toLocaleString()} checkpoint signature${result.signaturesChecked === 1 ? "" : "s"} checked.`
                : "; signatures not checked (no public key on this host)."}
            </>
          ) : (
            "No signed checkpoint covers these rows yet."
          )}
          {result.archives ? <ArchiveFiles archives={result.archives} /> : null}
        </>
      ) : (
        <>
          {result.brokenIn === "archive" ? (
            <>
              <strong>Archive broken:</strong> {result.why}. The {result.rows.toLocaleString()} rows
              in the database verified{from}.
            </>
          ) : (
            <>
              <strong>Chain broken at row #{result.brokenSeq}:</strong> {result.why}.{" "}
              {result.rows.toLocaleString()} rows before it verified.
            </>
          )}
        </>
      )}
    </div>
  );
}
