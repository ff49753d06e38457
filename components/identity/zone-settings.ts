/**
 * Checks that a zone carries the cloud settings a cloud component needs. Moved to
 * `../common/cloud` (shared by identity and the log store); re-exported here for existing importers.
 */
export { checkZoneSettings, isGuid } from "../common/cloud";
