"use client";

import { useState } from "react";

/** Selects everything inside `el`, so a user whose browser refused the clipboard can press Ctrl+C. */
export function selectContents(el: Element | null): void {
  if (!el) return;
  if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
    el.select();
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(el);
  window.getSelection()?.removeAllRanges();
  window.getSelection()?.addRange(range);
}

/**
 * Copies text to the clipboard. `copied` says how the last copy went; when the browser refuses
 * (no permission, no secure context), the text in `fallback()` is selected instead.
 */
export function useCopy(fallback: () => Element | null) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  async function copy(text: string) {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      selectContents(fallback());
      setCopied("failed");
    }
  }
  return { copied, copy, reset: () => setCopied(null) };
}
