export { findLauncher, launcherSettings } from "./launcher";
