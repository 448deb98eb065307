export { createUpstream } from "./create";
export { getUpstreamByName, getUpstreamOrThrow, toUpstreamView } from "./internal";
export { listUpstreams } from "./list";
