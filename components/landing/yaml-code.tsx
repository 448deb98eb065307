import type { ReactNode } from "react";

const TOKEN =
  /("(?:[^"\\]|\\.)*"|#.*$|\b\d+(?:\/(?:minute|hour|day))?\b|\b(?:allow|deny|require_approval|redacted|true|false)\b)/g;

function highlightValue(text: string, keyPrefix: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (const match of text.matchAll(TOKEN)) {
    const tok = match[0];
    const at = match.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    const className = tok.startsWith("#")
      ? "text-slate-500 italic"
      : tok.startsWith('"')
        ? "text-emerald-300"
        : /^\d/.test(tok)
          ? "text-amber-300"
          : "text-fuchsia-300";
    out.push(
      <span key={`${keyPrefix}-${n++}`} className={className}>
        {tok}
      </span>,
    );
    last = at + tok.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function highlightLine(line: string, i: number): ReactNode {
  const key = /^(\s*(?:- )?)((?:"[^"]*"|[A-Za-z_*][\w*.-]*)):(?=\s|$)/.exec(line);
  if (!key) return highlightValue(line, `l${i}`);
  const [whole, indent = "", name = ""] = key;
  return (
    <>
      {indent}
      <span className="text-indigo-300">{name}</span>:
      {highlightValue(line.slice(whole.length), `l${i}`)}
    </>
  );
}

/** Server-rendered YAML with light syntax colouring; plain text for screen readers and copy. */
export function YamlCode({ file, source }: { file: string; source: string }) {
  const lines = source.replace(/\n$/, "").split("\n");
  return (
    <figure className="overflow-hidden rounded-xl border border-slate-800 bg-slate-950 shadow-lg">
      <figcaption className="flex items-center justify-between border-b border-white/10 px-4 py-2.5">
        <span className="font-mono text-xs text-slate-300">{file}</span>
        <span className="text-[11px] text-slate-400">{lines.length} lines</span>
      </figcaption>
      <pre className="overflow-x-auto p-4 text-[12.5px] leading-6 text-slate-200" tabIndex={0}>
        <code className="font-mono">
          {lines.map((line, i) => (
            <span key={i} className="block">
              {highlightLine(line, i)}
              {"\n"}
            </span>
          ))}
        </code>
      </pre>
    </figure>
  );
}
