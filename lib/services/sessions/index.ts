export { completeSecondFactor } from "./challenge";
export { liveSessionRole } from "./live";
export { type OpenedSession } from "./open";
export { reauthenticate, requireFreshReauth } from "./reauth";
export { type ResolvedSession, resolveSession } from "./resolve";
export { signIn, type SignInResult } from "./sign-in";
export { signOut } from "./sign-out";
export { accountThrottle, clearAccount } from "./throttle";
export { hashSessionToken, tokensEqual } from "./tokens";
