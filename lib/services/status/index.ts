export { getStatusReport, type StatusDenial, type StatusReport } from "./status";
