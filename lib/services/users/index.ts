export { createUser } from "./create";
export { getUserOrThrow, toUserView, toUserViewWithThrottle } from "./internal";
export { listUsers } from "./list";
export { burnPasswordCheck, hashPassword, verifyPassword } from "./password";
export { resetPassword, type ResetPasswordInput } from "./reset-password";
export { unlockUser } from "./unlock";
export { updateUser } from "./update";
