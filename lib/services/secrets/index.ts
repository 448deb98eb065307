export { isSealed } from "./cipher";
export { KEY_ENV, keyFilePath, PREVIOUS_KEYS_ENV } from "./keyring";
export { type KeyRotation, rotateSecretsKey } from "./rotate";
export {
  openSecretMaps,
  openUpstreamSecrets,
  sealStoredUpstreamSecrets,
  sealUpstreamSecrets,
} from "./upstream-secrets";
