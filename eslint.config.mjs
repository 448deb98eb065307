import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";
import drizzle from "eslint-plugin-drizzle";
import tseslint from "typescript-eslint";

const banImports = (files, group, message, ignores = []) => ({
  files,
  ignores,
  rules: {
    "@typescript-eslint/no-restricted-imports": [
      "error",
      { patterns: [{ group, message, allowTypeImports: true }] },
    ],
  },
});

const nextAndUi = [
  "next",
  "next/**",
  "@/app/**",
  "@/components/**",
  "@/lib/server/**",
  "@/lib/client/**",
];
const TESTS = ["**/*.test.ts", "**/*.test.tsx", "**/__tests__/**", "e2e/**", "bench/**", "lib/testing/**"];

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      ".next/**",
      "dist/**",
      "reports/**",
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
  banImports(
    ["lib/core/**"],
    ["@/db", "@/db/**", "@/lib/services/**", "@/proxy/**", "@/lib/env", "node:*", ...nextAndUi],
    "lib/core is pure: it runs in the browser, the console and the proxy.",
    TESTS,
  ),
  banImports(
    ["db/**", "lib/services/**"],
    ["@/proxy/**", "server-only", ...nextAndUi],
    "Shared with the proxy process: no Next.js, no UI, no 'server-only'.",
  ),
  banImports(["proxy/**"], nextAndUi, "The proxy is a plain Node process."),
  banImports(
    ["components/**", "lib/client/**"],
    ["@/db", "@/db/**", "@/lib/services/**", "@/lib/server/**", "@/lib/env", "@/proxy/**"],
    "Browser code talks to app/api, never to the database.",
  ),
  banImports(["app/**"], ["@/db", "@/db/**", "@/proxy/**"], "Go through lib/services."),
  banImports(
    ["**/*.ts", "**/*.tsx"],
    ["@/lib/testing", "@/lib/testing/**"],
    "Test helpers stay out of shipped code.",
    TESTS,
  ),
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
