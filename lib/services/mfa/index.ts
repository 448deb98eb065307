export {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  disableOwnTotp,
  resetUserMfa,
  type TotpSetup,
} from "./enrol";
export { RECOVERY_CODE_COUNT } from "./recovery";
export { checkSecondFactor, type Factor } from "./second-factor";
export { type AuthSettings, getAuthSettings, mfaEnrolmentDue, setMfaRequired } from "./settings";
export { clearTotp } from "./clear";
export { mySecurity } from "./status";
