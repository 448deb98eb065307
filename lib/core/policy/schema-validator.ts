import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

import { canonicalJson } from "../canonical-json";

export type ToolDefinition = { inputSchema?: unknown; hash?: string } | null | undefined;
export type SchemaCheck = { ok: true } | { ok: false; problem: string };

type Compiled = { validate: ValidateFunction } | { error: string };

const CACHE_LIMIT = 1_000;
const byHash = new Map<string, Compiled>();
const byObject = new WeakMap<object, Compiled>();
let draft7: Ajv | null = null;
let draft2020: Ajv2020 | null = null;

function engineFor(schema: Record<string, unknown>): Ajv | Ajv2020 {
  const dialect = typeof schema.$schema === "string" ? schema.$schema : "";
  if (dialect.includes("2020-12") || dialect.includes("2019-09")) {
    draft2020 ??= addFormats(
      new Ajv2020({ strict: false, allErrors: false, validateSchema: true }),
    );
    return draft2020;
  }
  draft7 ??= addFormats(new Ajv({ strict: false, allErrors: false, validateSchema: true }));
  return draft7;
}

function compile(schema: unknown): Compiled {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    return { error: "the tool's inputSchema is not a JSON Schema object" };
  }
  // A top-level $id would register globally in Ajv and clash with the next definition using it.
  const { $id: _id, ...body } = schema as Record<string, unknown>;
  try {
    return { validate: engineFor(body).compile(body) };
  } catch (err) {
    return {
      error: `the tool's inputSchema cannot be compiled (${err instanceof Error ? err.message : "unknown error"})`,
    };
  }
}

/**
 * The compiled validator for a tool definition, compiled once per definition: keyed by the
 * inventory's definition hash when given, else by schema object identity, else by canonical JSON.
 */
function compiledFor(definition: { inputSchema?: unknown; hash?: string }): Compiled {
  const schema = definition.inputSchema;
  if (typeof schema === "object" && schema !== null) {
    const known = byObject.get(schema);
    if (known) return known;
  }
  const key = definition.hash ?? `json:${canonicalJson(schema)}`;
  let compiled = byHash.get(key);
  if (!compiled) {
    compiled = compile(schema);
    if (byHash.size >= CACHE_LIMIT) {
      byHash.clear();
      draft7 = null;
      draft2020 = null;
    }
    byHash.set(key, compiled);
  }
  if (typeof schema === "object" && schema !== null) byObject.set(schema, compiled);
  return compiled;
}

/** Checks `args` against the tool's full inputSchema. Fails closed when the schema is unusable. */
export function checkSchema(definition: ToolDefinition, args: unknown): SchemaCheck {
  if (!definition || definition.inputSchema === undefined) {
    return {
      ok: false,
      problem: "the tool's input schema is unknown, so its arguments cannot be validated",
    };
  }
  const compiled = compiledFor(definition);
  if ("error" in compiled) return { ok: false, problem: compiled.error };
  if (compiled.validate(args)) return { ok: true };
  const first = compiled.validate.errors?.[0];
  const where = first?.instancePath
    ? `argument ${first.instancePath.slice(1).replaceAll("/", ".")}`
    : "arguments";
  return {
    ok: false,
    problem: `${where} ${first?.message ?? "do not match the tool's input schema"}`,
  };
}

/** Checks that every name in `inputSchema.required` is present in `args` (and not null). */
export function checkRequired(
  definition: ToolDefinition,
  args: Record<string, unknown>,
): SchemaCheck {
  if (!definition || definition.inputSchema === undefined) {
    return {
      ok: false,
      problem: "the tool's input schema is unknown, so required arguments cannot be checked",
    };
  }
  const schema = definition.inputSchema;
  if (typeof schema !== "object" || schema === null) {
    return { ok: false, problem: "the tool's inputSchema is not a JSON Schema object" };
  }
  const required = (schema as { required?: unknown }).required;
  if (required === undefined) return { ok: true };
  if (!Array.isArray(required))
    return { ok: false, problem: "the tool's inputSchema.required is not a list" };
  for (const name of required) {
    if (typeof name !== "string")
      return { ok: false, problem: "the tool's inputSchema.required holds a non-string" };
    if (!Object.hasOwn(args, name) || args[name] === undefined || args[name] === null) {
      return { ok: false, problem: `missing required argument "${name}"` };
    }
  }
  return { ok: true };
}
