export { createGrant } from "./create";
export { grantSnapshot, toGrantView } from "./internal";
export { type GrantRow, listGrants } from "./list";
export { revokeGrant } from "./revoke";
