"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";

import { ConfirmDialog } from "@/components/ui/confirm-dialog";

/** The link a click would follow, or null when the click does not leave the page. */
function leavingHref(e: MouseEvent): URL | null {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
    return null;
  const target = e.target instanceof Element ? e.target : null;
  const link = target?.closest("a[href]");
  if (!(link instanceof HTMLAnchorElement)) return null;
  if ((link.target && link.target !== "_self") || link.hasAttribute("download")) return null;
  const url = new URL(link.href, window.location.href);
  const here = window.location;
  if (url.origin === here.origin && url.pathname === here.pathname && url.search === here.search)
    return null;
  return url;
}

/**
 * Asks before unsaved work is lost. The App Router has no route-change event, so link clicks
 * anywhere on the page (sidebar included) are intercepted in the capture phase, before
 * `next/link` sees them; reloads, closing the tab and typed addresses get the browser's own
 * `beforeunload` prompt.
 */
export function UnsavedGuard({ when, what }: { when: boolean; what: string }) {
  const router = useRouter();
  const [pending, setPending] = useState<URL | null>(null);
  const leaving = useRef(false);

  useEffect(() => {
    if (!when) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (leaving.current) return;
      e.preventDefault();
      e.returnValue = "";
    };
    const onClick = (e: MouseEvent) => {
      const url = leavingHref(e);
      if (!url) return;
      e.preventDefault();
      e.stopPropagation();
      setPending(url);
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    document.addEventListener("click", onClick, true);
    return () => {
      window.removeEventListener("beforeunload", onBeforeUnload);
      document.removeEventListener("click", onClick, true);
    };
  }, [when]);

  function leave() {
    if (!pending) return;
    setPending(null);
    leaving.current = true;
    if (pending.origin === window.location.origin)
      router.push(`${pending.pathname}${pending.search}${pending.hash}`);
    else window.location.assign(pending.href);
  }

  return (
    <ConfirmDialog
      open={pending !== null}
      title="Leave without saving?"
      confirmLabel="Leave and discard"
      onConfirm={leave}
      onClose={() => setPending(null)}
    >
      <p>{what} has unsaved changes. If you leave now they are lost.</p>
      <p>Choose Cancel to stay and keep editing.</p>
    </ConfirmDialog>
  );
}
