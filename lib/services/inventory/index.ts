export { acceptToolChange, AcceptToolChangeInput } from "./accept";
export { findTool, listTools, ListToolsInput, type ToolView, toToolView } from "./list";
export {
  type ListedTool,
  type ListingResult,
  recordToolListing,
  toolDefinitionHash,
  type ToolStatus,
} from "./record";
