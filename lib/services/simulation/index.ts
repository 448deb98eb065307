export { dryRunCall, parseArgumentsText } from "./dry-run";
export { checkGrantForCall } from "./grant-check";
export { replayCalls, startReplay } from "./replay";
