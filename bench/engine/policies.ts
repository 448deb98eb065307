const PATTERNS = [
  "^[a-z0-9_.-]{1,100}$",
  "^(main|develop|release/[0-9.]+)$",
  "^[A-Za-z0-9 ,.!?-]{0,200}$",
  "^https://github\\.com/",
  "^/workspace/",
  "^[a-f0-9]{40}$",
  "^(us|eu|ap)-[a-z]+-[0-9]$",
  "^arn:aws:ecs:",
  "^cus_[A-Za-z0-9]+$",
  "^#[a-z0-9-]+$",
];

/** A policy of `count` tools with three rules each: regex, in + lte, and a rolling counter. */
export function realisticPolicy(count: number): string {
  const lines = [
    'version: "1"',
    "description: benchmark",
    "default: deny",
    "hide: [delete_repository]",
    "tools:",
  ];
  for (let i = 0; i < count; i += 1) {
    const pattern = PATTERNS[i % PATTERNS.length] ?? "^x$";
    lines.push(
      `  tool_${i}:`,
      "    rules:",
      `      - name: target format ${i}`,
      `        conditions: [{ path: args.target, op: regex, value: '${pattern}' }]`,
      `      - name: mode and size ${i}`,
      "        conditions:",
      "          - { path: args.mode, op: in, value: [read, write, append] }",
      "          - { path: args.size, op: lte, value: 1048576 }",
      `      - name: cap ${i}`,
      `        rate_limit: { max: ${100 + i}, window: 60 }`,
    );
  }
  lines.push('  "*":', "    rules:", "      - rate_limit: 600/minute", "        scope: shared");
  return `${lines.join("\n")}\n`;
}
