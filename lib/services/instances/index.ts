export {
  createInstance,
  deleteInstance,
  heartbeatInstance,
  INSTANCE_STALE_MS,
  type InstanceInfo,
  listLiveInstances,
} from "./instances";
