export {
  COUNTER_RETENTION_MS,
  counterReader,
  newCounterRowId,
  pruneCounterKeys,
  pruneCounters,
  readCounter,
  readOnlyCounterReader,
  type Reservation,
  reserveCounters,
  rollbackReservations,
  sumCounter,
} from "./counters";
