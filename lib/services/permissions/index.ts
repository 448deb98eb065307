export {
  EffectivePermissionsInput,
  type EffectivePermissionsView,
  type EffectivePermissionView,
  getEffectivePermissions,
} from "./effective";
