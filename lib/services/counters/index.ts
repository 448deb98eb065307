export {
  COUNTER_RETENTION_MS,
  counterReader,
  pruneCounters,
  type Reservation,
  reserveCounters,
  rollbackReservations,
  sumCounter,
} from "./counters";
