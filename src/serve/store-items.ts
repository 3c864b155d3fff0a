/**
 * The store's own item names beside a device's items (docs/TSDB.md): they hold what the store needs
 * and are never among a device's latest values.
 */

/** The record series' item: one sample per record, the value its recordId's hash (0 without one). */
export const RECORD_ITEM = "";
/** The telemetrics payloads, kept in `strings` as a text item's history is. */
export const PAYLOAD_ITEM = "telemetrics.payload";
