export { admitStream, MAX_STREAMS_PER_USER } from "./slots";
