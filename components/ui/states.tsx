import type { ReactNode } from "react";

import { cn } from "./cn";

export function Spinner({ label = "Loading", className }: { label?: string; className?: string }) {
  return (
    <span
      role="status"
      className={cn("inline-flex items-center gap-2 text-sm text-slate-500", className)}
    >
      <span
        className="size-4 animate-spin rounded-full border-2 border-slate-300 border-r-transparent"
        aria-hidden
      />
      {label}
    </span>
  );
}

export function LoadingBlock({
  label = "Loading…",
  className,
}: {
  label?: string;
  className?: string;
}) {
  return (
    <div className={cn("flex min-h-32 items-center justify-center", className)}>
      <Spinner label={label} />
    </div>
  );
}

export function EmptyState({
  title,
  children,
  icon,
  className,
}: {
  title: string;
  children?: ReactNode;
  icon?: ReactNode;
  className?: string;
}) {
  return (
    <div
      className={cn(
        "flex min-h-32 flex-col items-center justify-center gap-1 px-6 py-10 text-center",
        className,
      )}
    >
      {icon ? <div className="mb-2 text-slate-300">{icon}</div> : null}
      <p className="text-sm font-medium text-slate-700">{title}</p>
      {children ? <div className="max-w-md text-sm text-slate-500">{children}</div> : null}
    </div>
  );
}

export function ErrorState({
  title = "Could not load this",
  message,
  onRetry,
}: {
  title?: string;
  message: string;
  onRetry?: () => void;
}) {
  return (
    <div
      role="alert"
      className="flex flex-col items-center justify-center gap-2 rounded-lg bg-rose-50 px-6 py-8 text-center ring-1 ring-rose-200"
    >
      <p className="text-sm font-medium text-rose-800">{title}</p>
      <p className="text-sm text-rose-700">{message}</p>
      {onRetry ? (
        <button
          type="button"
          onClick={onRetry}
          className="mt-1 text-sm font-medium text-rose-800 underline underline-offset-2 hover:text-rose-900"
        >
          Try again
        </button>
      ) : null}
    </div>
  );
}
