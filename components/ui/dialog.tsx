"use client";

import { type ReactNode, useEffect, useId, useRef } from "react";

import { Button } from "./button";
import { cn } from "./cn";

type DialogProps = {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  description?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
  /** "modal" centres the panel; "drawer" slides it in from the right. */
  variant?: "modal" | "drawer";
  className?: string;
};

/**
 * Native <dialog> opened with showModal(): the browser traps focus, makes the page behind
 * inert, and closes on Escape; focus returns to the opener on close.
 */
export function Dialog({
  open,
  onClose,
  title,
  description,
  children,
  footer,
  variant = "modal",
  className,
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
      className={cn(
        // A dialog opened from a table cell must not inherit its alignment or nowrap.
        "bg-transparent p-0 text-left whitespace-normal backdrop:bg-slate-900/40 backdrop:backdrop-blur-[1px]",
        variant === "drawer"
          ? "fixed inset-y-0 right-0 left-auto m-0 h-dvh max-h-none w-full max-w-2xl"
          : "m-auto w-full max-w-lg",
        className,
      )}
    >
      {open ? (
        <div
          className={cn(
            "flex flex-col bg-white shadow-2xl",
            variant === "drawer" ? "h-full" : "max-h-[85dvh] rounded-xl",
          )}
        >
          <header className="flex items-start justify-between gap-4 border-b border-slate-100 px-5 py-4">
            <div className="min-w-0">
              <h2 id={titleId} className="truncate text-base font-semibold text-slate-900">
                {title}
              </h2>
              {description ? (
                <p id={descriptionId} className="mt-0.5 text-sm text-slate-500">
                  {description}
                </p>
              ) : null}
            </div>
            <button
              type="button"
              onClick={onClose}
              className="rounded-md p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-700 focus-visible:outline-2 focus-visible:outline-indigo-600"
              aria-label="Close"
            >
              <svg viewBox="0 0 20 20" className="size-5" aria-hidden fill="currentColor">
                <path d="M6.28 5.22a.75.75 0 0 0-1.06 1.06L8.94 10l-3.72 3.72a.75.75 0 1 0 1.06 1.06L10 11.06l3.72 3.72a.75.75 0 1 0 1.06-1.06L11.06 10l3.72-3.72a.75.75 0 0 0-1.06-1.06L10 8.94 6.28 5.22Z" />
              </svg>
            </button>
          </header>
          <div className="min-h-0 flex-1 overflow-y-auto px-5 py-4">{children}</div>
          {footer ? (
            <footer className="flex justify-end gap-2 border-t border-slate-100 px-5 py-3">
              {footer}
            </footer>
          ) : null}
        </div>
      ) : null}
    </dialog>
  );
}

/** The Cancel / submit row at the foot of every dialog form. */
export function DialogActions({
  onCancel,
  submitLabel,
  busy,
  disabled,
}: {
  onCancel: () => void;
  submitLabel: string;
  busy: boolean;
  disabled?: boolean;
}) {
  return (
    <div className="flex justify-end gap-2 pt-2">
      <Button variant="secondary" onClick={onCancel}>
        Cancel
      </Button>
      <Button type="submit" busy={busy} disabled={disabled}>
        {submitLabel}
      </Button>
    </div>
  );
}
