export { activatePolicyVersion } from "./activate";
export { getActivePolicy, listPolicyVersions } from "./get";
export { assertPolicyLoads, describeIssue } from "./internal";
export { savePolicy, type SavePolicyResult } from "./save";
