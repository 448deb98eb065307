import fs from "node:fs";

/** `npm run soak` sets PORTCULLIS_SOAK; `npm test` runs the same tests at their fast size. */
export const SOAK = process.env.PORTCULLIS_SOAK === "1";

/** The fast size under `npm test`, the long one under `npm run soak`. */
export function scale(fast: number, soak: number): number {
  return SOAK ? soak : fast;
}

/** Records a test's figures for `npm run soak`'s closing summary (and docs/reliability.md). */
export function reportFigures(test: string, figures: Record<string, number | string>): void {
  const file = process.env.PORTCULLIS_RELIABILITY_REPORT;
  if (file) fs.appendFileSync(file, `${JSON.stringify({ test, ...figures })}\n`);
}
