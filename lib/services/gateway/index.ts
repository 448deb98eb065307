export { agentKeyStillValid, type AuthenticatedAgent, authenticateAgentKey } from "./authenticate";
export {
  type EngineGrant,
  listEnabledUpstreams,
  loadActivePolicyVersion,
  loadAgentGrants,
  loadUpstreamByName,
  loadUpstreamTools,
} from "./loaders";
