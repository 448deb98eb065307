export { MAX_STREAMS_PER_USER, StreamSlots } from "./slots";
