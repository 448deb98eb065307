export { exportContactMessagesCsv, EXPORT_MAX_ROWS } from "./export";
export {
  checkFormToken,
  formKey,
  issueFormToken,
  MAX_FORM_AGE_MS,
  MIN_FILL_MS,
} from "./form-token";
export { getContactMessage, listContactMessages, type MessageRows } from "./list";
export {
  createSmtpMailer,
  type Mailer,
  notificationFor,
  type NotificationMail,
  notifyContactMessage,
  type NotifySettings,
} from "./notify";
export { admitContact, CONTACT_RATE_LIMIT, contactCounterKey } from "./rate-limit";
export { receiveContactMessage, type ReceiveOptions, type ReceiveResult } from "./receive";
export { updateContactMessage } from "./update";
export { toContactMessageView } from "./views";
