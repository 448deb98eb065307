export { activatePolicyVersion } from "./activate";
export { getActivePolicy, listPolicyVersions } from "./get";
export { getPolicyVersion } from "./get-version";
export { assertPolicyLoads, describeIssue } from "./internal";
export { listPolicySummaries } from "./list";
export { savePolicy, type SavePolicyResult } from "./save";
export { renderStarterPolicyForUpstream } from "./starter";
export { validatePolicy } from "./validate";
