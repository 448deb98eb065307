export function LogoMark({ className = "h-7 w-7" }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true" focusable="false">
      <rect x="1" y="1" width="30" height="30" rx="8" className="fill-indigo-500" />
      <path
        d="M8 26V12a8 8 0 0 1 16 0v14"
        fill="none"
        stroke="white"
        strokeWidth="2.4"
        strokeLinecap="round"
      />
      <path
        d="M12.5 26V9.6M16 26V8M19.5 26V9.6M8 16.5h16M8 21h16"
        fill="none"
        stroke="white"
        strokeWidth="1.8"
        strokeLinecap="round"
        opacity="0.9"
      />
    </svg>
  );
}

export function Wordmark({ tone = "dark" }: { tone?: "dark" | "light" }) {
  return (
    <span className="flex items-center gap-2.5">
      <LogoMark />
      <span
        className={`text-lg font-semibold tracking-tight ${tone === "dark" ? "text-white" : "text-slate-900"}`}
      >
        Portcullis
      </span>
    </span>
  );
}
