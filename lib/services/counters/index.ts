export {
  COUNTER_RETENTION_MS,
  counterReader,
  pruneCounters,
  readCounter,
  type Reservation,
  reserveCounters,
  rollbackReservations,
  sumCounter,
} from "./counters";
