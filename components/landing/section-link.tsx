import type { AnchorHTMLAttributes } from "react";

/**
 * A link to a section of the landing page (`/#contact`). A native anchor on purpose: browser
 * fragment navigation also moves the keyboard's focus starting point to the section, which
 * next/link's client-side scroll does not.
 */
export function SectionLink({
  href,
  ...rest
}: AnchorHTMLAttributes<HTMLAnchorElement> & { href: `/#${string}` | `#${string}` }) {
  return <a href={href} {...rest} />;
}
