import type { ReactNode } from "react";

export function SectionHeading({
  id,
  eyebrow,
  title,
  children,
  tone = "light",
}: {
  id: string;
  eyebrow: string;
  title: string;
  children?: ReactNode;
  tone?: "light" | "dark";
}) {
  return (
    <div className="max-w-3xl">
      <p
        className={`text-sm font-semibold ${tone === "dark" ? "text-indigo-300" : "text-indigo-700"}`}
      >
        {eyebrow}
      </p>
      <h2
        id={id}
        className={`mt-2 text-3xl font-semibold tracking-tight text-balance sm:text-4xl ${tone === "dark" ? "text-white" : "text-slate-900"}`}
      >
        {title}
      </h2>
      {children ? (
        <div
          className={`mt-4 text-lg leading-8 ${tone === "dark" ? "text-slate-300" : "text-slate-600"}`}
        >
          {children}
        </div>
      ) : null}
    </div>
  );
}
