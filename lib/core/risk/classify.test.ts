import { describe, expect, it } from "vitest";

import { classifyTool, type ToolAnnotations } from "./classify";
import everything from "./fixtures/server-everything.tools.json";
import filesystem from "./fixtures/server-filesystem.tools.json";
import memory from "./fixtures/server-memory.tools.json";
import publicTools from "./fixtures/public-tools.json";
import catalogue from "./fixtures/tool-categories.json";
import type { RiskCategory } from "./lexicon";

type FixtureTool = {
  server: string;
  tool: string;
  description: string;
  expected: string;
  catalogueCategory: string | null;
  note?: string;
  inputSchema?: unknown;
  annotations?: ToolAnnotations | null;
};

/**
 * Known misses, each with why. The test fails when one of these starts passing (update the list)
 * or when any tool not listed here is misclassified.
 */
const EXPECTED_MISSES: Record<string, { got: RiskCategory; why: string }> = {
  "awslabs/ecs-mcp-server/containerize_app": {
    got: "Write",
    why: "the name reads as an action; the tool only returns guidance",
  },
  "neondatabase/mcp-server-neon/prepare_database_migration": {
    got: "Other",
    why: '"prepare" is too vague a verb to map (prepare_query_tuning only reads)',
  },
};

const tools = publicTools as FixtureTool[];
const idOf = (t: FixtureTool) => `${t.server}/${t.tool}`;

describe("classifyTool on public MCP servers", () => {
  const results = tools.map((t) => ({
    tool: t,
    got: classifyTool({
      name: t.tool,
      description: t.description,
      inputSchema: t.inputSchema,
      annotations: t.annotations ?? null,
    }),
  }));

  it("covers GitHub, Stripe, Amazon ECS, Postgres, Slack and filesystem servers with 60+ tools", () => {
    expect(tools.length).toBeGreaterThanOrEqual(60);
    const servers = new Set(tools.map((t) => t.server));
    for (const s of [
      "github/github-mcp-server",
      "stripe/agent-toolkit",
      "awslabs/ecs-mcp-server",
      "modelcontextprotocol/server-postgres",
      "modelcontextprotocol/server-slack",
      "modelcontextprotocol/server-filesystem",
    ]) {
      expect(servers).toContain(s);
    }
  });

  it("explains every disagreement with the catalogue label", () => {
    for (const t of tools) {
      if (t.catalogueCategory !== null && t.catalogueCategory !== t.expected)
        expect(t.note, idOf(t)).toBeTruthy();
    }
  });

  it("agrees with the expected category on at least 90% of tools", () => {
    const agreed = results.filter((r) => r.got.category === r.tool.expected).length;
    expect(agreed / results.length).toBeGreaterThanOrEqual(0.9);
  });

  it.each(results.map((r) => [idOf(r.tool), r] as const))("%s", (id, { tool, got }) => {
    const miss = EXPECTED_MISSES[id];
    if (miss) {
      expect(
        got.category,
        `${id} now classifies correctly: remove it from EXPECTED_MISSES`,
      ).not.toBe(tool.expected);
      expect(got.category).toBe(miss.got);
    } else {
      expect(got.category, `${id}: ${got.evidence.join("; ")}`).toBe(tool.expected);
    }
  });

  it("lists only misses that exist in the fixture", () => {
    for (const id of Object.keys(EXPECTED_MISSES)) expect(tools.map(idOf)).toContain(id);
  });
});

describe("classifyTool on captured reference servers", () => {
  const categories = (
    list: {
      name: string;
      description?: string;
      inputSchema?: unknown;
      annotations?: ToolAnnotations;
    }[],
  ) => Object.fromEntries(list.map((t) => [t.name, classifyTool(t).category]));

  it("server-memory", () => {
    expect(categories(memory)).toEqual({
      create_entities: "Write",
      create_relations: "Write",
      add_observations: "Write",
      delete_entities: "Destructive",
      delete_observations: "Destructive",
      delete_relations: "Destructive",
      read_graph: "Read",
      search_nodes: "Read",
      open_nodes: "Read",
    });
  });

  it("server-filesystem", () => {
    const got = categories(filesystem);
    for (const name of ["write_file", "edit_file", "create_directory", "move_file"])
      expect(got[name]).toBe("Write");
    const reads = Object.entries(got)
      .filter(([, c]) => c === "Read")
      .map(([n]) => n);
    expect(reads).toHaveLength(10);
  });

  it("server-everything", () => {
    const got = categories(everything);
    expect(
      Object.entries(got)
        .filter(([n]) => n.startsWith("get-"))
        .every(([, c]) => c === "Read"),
    ).toBe(true);
    expect(got).toMatchObject({
      echo: "Read",
      "toggle-simulated-logging": "Write",
      "toggle-subscriber-updates": "Write",
      "gzip-file-as-resource": "Write",
      "trigger-long-running-operation": "Execute",
      "simulate-research-query": "Write",
    });
  });
});

describe("classifyTool rules", () => {
  it.each<[string, Parameters<typeof classifyTool>[0], RiskCategory]>([
    [
      "annotations never lower the name's risk",
      { name: "delete_everything", annotations: { readOnlyHint: true } },
      "Destructive",
    ],
    [
      "readOnlyHint false lifts a read-looking name",
      { name: "get_and_reset", annotations: { readOnlyHint: false } },
      "Destructive",
    ],
    [
      // It used to make such a tool Read (allowed, no cap): a hint is the server's word only.
      "readOnlyHint alone never lowers an unknown tool",
      { name: "zorp", annotations: { readOnlyHint: true } },
      "Other",
    ],
    [
      "destructiveHint decides when nothing else does",
      { name: "zorp", annotations: { destructiveHint: true } },
      "Destructive",
    ],
    [
      "a command argument makes an unknown tool Execute",
      { name: "terminal", inputSchema: { properties: { command: { type: "string" } } } },
      "Execute",
    ],
    [
      "money nouns make effects Financial",
      { name: "createRefund", description: "Refunds a charge" },
      "Financial",
    ],
    ["reading money is Read", { name: "list_payouts" }, "Read"],
    [
      "ambiguous nouns need billing context",
      { name: "update_subscription", description: "Update the email digest subscription" },
      "Write",
    ],
    [
      "multi-operation descriptions count their riskiest verb",
      { name: "k8s_resource", description: "Read/create/update/delete Kubernetes resources" },
      "Destructive",
    ],
    ["nothing recognised", { name: "zorp", description: "Zorps." }, "Other"],
  ])("%s", (_label, tool, category) => {
    expect(classifyTool(tool).category).toBe(category);
  });

  it("returns level, evidence, confidence and the starter rule", () => {
    const risk = classifyTool({
      name: "ecs_resource_management",
      description: "Execute operations on ECS resources.",
    });
    expect(risk).toEqual({
      category: "Execute",
      level: "high",
      evidence: ['description verb "execute" → Execute'],
      confidence: 0.65,
      recommendedRule: {
        action: "allow",
        rate_limit: { max: 10, window: 60 },
        validate: { required_args: true },
      },
      hintConflicts: [],
    });
  });
});

describe("secrets and the environment", () => {
  const getEnv = everything.find((t) => t.name === "get-env");

  it("rates server-everything's get-env high with deny recommended, despite its readOnlyHint", () => {
    expect(getEnv?.annotations).toMatchObject({ readOnlyHint: true });
    const risk = classifyTool(getEnv as Parameters<typeof classifyTool>[0]);
    expect(risk.category).toBe("Read");
    expect(risk.level).toBe("high");
    expect(risk.recommendedRule.action).toBe("deny");
    expect(risk.evidence).toContain('exposes secrets or the environment: name ends in "env"');
    expect(risk.hintConflicts).toEqual([
      'the server says read-only (readOnlyHint), but what it reads is sensitive (name ends in "env")',
    ]);
  });

  it.each([
    ["list_env_vars", "", "high"],
    ["get_secret", "", "high"],
    ["describe_config", "Returns the access tokens of every user.", "high"],
    // The object is an alert about a leaked secret, not the secret itself.
    ["get_secret_scanning_alert", "Get secret scanning alert", "low"],
    ["get_weather", "Returns the weather", "low"],
  ])("%s is rated %s", (name, description, level) => {
    expect(classifyTool({ name, description }).level).toBe(level);
  });

  it("only reads count: setting a secret stays Write at medium", () => {
    expect(classifyTool({ name: "set_secret" })).toMatchObject({
      category: "Write",
      level: "medium",
    });
  });
});

describe("hints that disagree", () => {
  it("flags server-everything's Execute tool that claims to be read-only", () => {
    const tool = everything.find((t) => t.name === "trigger-long-running-operation");
    const risk = classifyTool(tool as Parameters<typeof classifyTool>[0]);
    expect(risk.category).toBe("Execute");
    expect(risk.hintConflicts).toEqual([
      "the server says read-only (readOnlyHint), but the tool looks like Execute",
    ]);
  });

  it("leaves tools whose hints agree unflagged", () => {
    const flagged = [...everything, ...filesystem, ...memory]
      .filter((t) => classifyTool(t as Parameters<typeof classifyTool>[0]).hintConflicts.length > 0)
      .map((t) => t.name)
      .sort();
    // simulate-research-query reads by its description but says it has effects: the hint raises
    // it to Write (hints may raise), and the disagreement is still shown.
    expect(flagged).toEqual([
      "get-env",
      "simulate-research-query",
      "trigger-long-running-operation",
    ]);
  });

  it("does not flag a Write tool the server calls destructive (overwriting is a destructive update)", () => {
    expect(
      classifyTool({ name: "write_file", annotations: { destructiveHint: true } }).hintConflicts,
    ).toEqual([]);
  });

  it.each<[string, ToolAnnotations, string]>([
    ["delete_repo", { destructiveHint: false }, "not destructive"],
    ["get_issue", { readOnlyHint: false }, "has effects"],
    ["list_issues", { destructiveHint: true }, "says destructive"],
  ])("%s with %o", (name, annotations, words) => {
    const risk = classifyTool({ name, annotations });
    expect(risk.hintConflicts).toHaveLength(1);
    expect(risk.hintConflicts[0]).toContain(words.replace("has effects", "it has effects"));
  });
});

/**
 * 440 tools of 21 public servers with a public catalogue's own labels. The labels are noisy
 * ("Other" holds tools that clearly write or run things), so this checks agreement where the
 * catalogue committed to a category, not equality tool by tool.
 */
describe("classifyTool against a public catalogue's labels", () => {
  const rows = catalogue as {
    server: string;
    tool: string;
    description: string;
    category: string;
  }[];
  const labelled = rows.filter((r) => r.category !== "Other");
  const got = labelled.map((r) => ({
    r,
    risk: classifyTool({ name: r.tool, description: r.description }),
  }));

  it("agrees on at least 95% of labelled tools", () => {
    expect(labelled.length).toBeGreaterThan(300);
    const agreed = got.filter(({ r, risk }) => risk.category === r.category).length;
    expect(agreed / labelled.length).toBeGreaterThanOrEqual(0.95);
  });

  it("never rates a tool the catalogue calls Destructive below high", () => {
    for (const { r, risk } of got.filter((g) => g.r.category === "Destructive"))
      expect(["high", "critical"], `${r.server}/${r.tool}`).toContain(risk.level);
  });

  it("recommends allow without a cap only for tools it rates low", () => {
    for (const { risk } of got) {
      if (risk.recommendedRule.action === "allow" && !risk.recommendedRule.rate_limit)
        expect(risk.level).toBe("low");
    }
  });
});
