export { createUser } from "./create";
export { getUserOrThrow, toUserView } from "./internal";
export { listUsers } from "./list";
export { burnPasswordCheck, hashPassword, verifyPassword } from "./password";
export { updateUser } from "./update";
