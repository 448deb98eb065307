import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";
import drizzle from "eslint-plugin-drizzle";
import tseslint from "typescript-eslint";

const TESTS = ["**/*.test.ts", "**/*.test.tsx", "**/__tests__/**", "e2e/**", "bench/**", "lib/testing/**"];
const TEST_HELPERS = {
  group: ["@/lib/testing", "@/lib/testing/**"],
  message: "Test helpers stay out of shipped code.",
};

const restrict = (files, ignores, bans) => ({
  files,
  ignores,
  rules: {
    "@typescript-eslint/no-restricted-imports": [
      "error",
      { patterns: bans.map(({ group, message }) => ({ group, message, allowTypeImports: true })) },
    ],
  },
});

/**
 * Import bans for one folder. Flat config replaces a rule's options instead of merging them, so
 * every ban that applies to a file sits in one list: the folder's bans plus, outside tests, the
 * ban on test helpers. A ban is { group, message, shippedOnly? }; `shippedOnly` spares tests.
 */
const boundary = (files, bans) => {
  const inTests = bans.filter((b) => !b.shippedOnly);
  const testFiles = files.flatMap((f) => TESTS.map((t) => [f, t]));
  return [
    restrict(files, TESTS, [...bans, TEST_HELPERS]),
    ...(inTests.length ? [restrict(testFiles, [], inTests)] : []),
  ];
};

const nextAndUi = [
  "next",
  "next/**",
  "@/app/**",
  "@/components/**",
  "@/lib/server/**",
  "@/lib/client/**",
];

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      ".next/**",
      "dist/**",
      "reports/**",
      ".cache/**",
      "test-results/**",
      "db/migrations/**",
      "next-env.d.ts",
    ],
  },
  ...nextVitals,
  ...nextTs,
  {
    files: ["**/*.ts", "**/*.tsx"],
    plugins: { drizzle },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "drizzle/enforce-delete-with-where": ["error", { drizzleObjectName: ["db", "tx"] }],
      "drizzle/enforce-update-with-where": ["error", { drizzleObjectName: ["db", "tx"] }],
      "no-console": ["error", { allow: ["error", "warn"] }],
    },
  },
  restrict(["**/*.ts", "**/*.tsx"], TESTS, [TEST_HELPERS]),
  ...boundary(
    ["lib/core/**"],
    [
      {
        group: ["@/db", "@/db/**", "@/lib/services/**", "@/proxy/**", "@/lib/env", "node:*", ...nextAndUi],
        message: "lib/core is pure: it runs in the browser, the console and the proxy.",
        shippedOnly: true,
      },
    ],
  ),
  ...boundary(
    ["db/**", "lib/services/**"],
    [
      {
        group: ["@/proxy/**", "server-only", ...nextAndUi],
        message: "Shared with the proxy process: no Next.js, no UI, no 'server-only'.",
      },
    ],
  ),
  ...boundary(
    ["proxy/**"],
    [
      { group: nextAndUi, message: "The proxy is a plain Node process." },
      {
        // Type imports stay allowed: they are erased.
        group: ["@/db", "@/db/**", "drizzle-orm", "drizzle-orm/**", "better-sqlite3"],
        message: "The proxy reaches the database only through lib/services.",
        shippedOnly: true,
      },
    ],
  ),
  {
    // The driver handle is how raw SQL would slip past the import ban.
    files: ["proxy/**"],
    ignores: TESTS,
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[property.name='$client']",
          message: "Use lib/services (pingDatabase, closeDatabase, …), not the SQLite handle.",
        },
      ],
    },
  },
  ...boundary(
    ["components/**", "lib/client/**"],
    [
      {
        group: ["@/db", "@/db/**", "@/lib/services/**", "@/lib/server/**", "@/lib/env", "@/proxy/**"],
        message: "Browser code talks to app/api, never to the database.",
      },
    ],
  ),
  ...boundary(["app/**"], [{ group: ["@/db", "@/db/**", "@/proxy/**"], message: "Go through lib/services." }]),
  {
    files: ["scripts/**", "bin/**", "bench/**", "e2e/**", "proxy/cli*.ts", "proxy/commands/**", "db/seed*.ts"],
    rules: { "no-console": "off" },
  },
  {
    // Playwright fixtures receive a `use` callback that is not React's hook.
    files: ["e2e/**"],
    rules: { "react-hooks/rules-of-hooks": "off", "no-empty-pattern": "off" },
  },
);
