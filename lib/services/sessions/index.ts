export { type ResolvedSession, resolveSession } from "./resolve";
export { signIn, type SignInResult } from "./sign-in";
export { signOut } from "./sign-out";
export { hashSessionToken, tokensEqual } from "./tokens";
export { liveSessionRole } from "./live";
