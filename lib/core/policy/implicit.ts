import { loadPolicy } from "./load";
import type { PolicySnapshot } from "./snapshot";

const IMPLICIT = loadPolicy('version: "1"\ndefault: deny\n');
if (!IMPLICIT.ok) throw new Error("the built-in deny-all policy does not load");

/**
 * What a server is held to when it has no active policy, or its stored policy no longer loads:
 * every call refused (fail closed). The gateway, the effective-permissions view and the dry run
 * all use this one.
 */
export const IMPLICIT_DENY: PolicySnapshot = IMPLICIT.snapshot;
