export { createUpstream } from "./create";
export { deleteUpstream } from "./delete";
export { getUpstreamByName, getUpstreamOrThrow, toUpstreamView } from "./internal";
export { summarizeUpstreamInventories } from "./inventory-summary";
export { recordUpstreamLifecycle, type UpstreamLifecycle } from "./lifecycle";
export { listUpstreams } from "./list";
export { updateUpstream } from "./update";
