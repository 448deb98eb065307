export {
  classifyTool,
  type ClassifiableTool,
  type RiskAssessment,
  type ToolAnnotations,
} from "./classify";
export { LEVELS, type RiskCategory, type RiskLevel } from "./lexicon";
export { recommendedRule, type RecommendedRule } from "./recommend";
export { renderStarterPolicy, type StarterPolicyOptions } from "./starter-policy";
