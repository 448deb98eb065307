export { createAgent } from "./create";
export { createAgentKey } from "./create-key";
export { disableAgent, enableAgent } from "./disable";
export { getAgentOrThrow, toAgentKeyView, toAgentView } from "./internal";
export { AGENT_KEY_PREFIX, generateAgentKey, hashAgentKey } from "./key-format";
export { listAgents } from "./list";
export { revokeAgentKey } from "./revoke-key";
export { updateAgent } from "./update";
