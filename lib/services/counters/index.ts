export {
  COUNTER_RETENTION_MS,
  counterReader,
  pruneCounters,
  readCounter,
  readOnlyCounterReader,
  type Reservation,
  reserveCounters,
  rollbackReservations,
  sumCounter,
} from "./counters";
