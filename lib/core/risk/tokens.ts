/** `createIssue`, `create_issue`, `create-issue`, `github.create issue` → ["create", "issue"]. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .flatMap((token, i, all) =>
      token === "pull" && all[i + 1] === "request"
        ? ["pullrequest"]
        : token === "request" && all[i - 1] === "pull"
          ? []
          : [token],
    );
}

/** Lower-cased words of the first sentence of a description. */
export function firstSentenceWords(description: string): string[] {
  const sentence = description.split(/(?<=[.!?])\s|\n/)[0] ?? "";
  return sentence
    .toLowerCase()
    .split(/[^a-z0-9-]+/)
    .filter(Boolean);
}
