export {
  AgentKeyAuthenticator,
  agentKeyStanding,
  type AuthenticatedAgent,
  authenticateAgentKey,
} from "./authenticate";
export {
  type EngineGrant,
  listEnabledUpstreams,
  loadActivePolicyVersion,
  loadAgentGrants,
  loadUpstreamByName,
  loadUpstreamTools,
  UpstreamDirectory,
} from "./loaders";
