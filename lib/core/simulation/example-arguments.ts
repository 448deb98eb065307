type Schema = {
  type?: unknown;
  properties?: Record<string, Schema>;
  required?: unknown;
  default?: unknown;
  examples?: unknown;
  enum?: unknown;
  const?: unknown;
  minimum?: unknown;
  items?: Schema;
};

const MAX_DEPTH = 4;

function isSchema(v: unknown): v is Schema {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function example(schema: Schema, depth: number): unknown {
  if ("const" in schema) return schema.const;
  if ("default" in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      return "";
    case "number":
    case "integer":
      return typeof schema.minimum === "number" ? schema.minimum : 0;
    case "boolean":
      return false;
    case "array":
      return [];
    case "null":
      return null;
    default:
      return isSchema(schema.properties) && depth < MAX_DEPTH ? objectOf(schema, depth + 1) : "";
  }
}

function objectOf(schema: Schema, depth: number): Record<string, unknown> {
  const props = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required)
    ? schema.required.filter((r): r is string => typeof r === "string")
    : [];
  // Required arguments, plus optional ones that say what they default to; all when none is required.
  const names = Object.keys(props).filter(
    (n) => required.length === 0 || required.includes(n) || "default" in (props[n] ?? {}),
  );
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const p = props[name];
    if (isSchema(p)) out[name] = example(p, depth);
  }
  return out;
}

/** Arguments to start a test call from: a value of the right type for each argument the schema lists. */
export function exampleArguments(inputSchema: unknown): Record<string, unknown> {
  return isSchema(inputSchema) ? objectOf(inputSchema, 0) : {};
}
