// The rules of a record (SPEC §4.1) that more than the valibot schemas need: record/schema.ts
// builds its schemas from them, and the fast paths (item-check.ts, envelope-check.ts) check them
// without loading those schemas.

/** Value types of SPEC §4.1; `counter` is monotonic and graphed as a rate. */
export const ITEM_TYPES = ["percent", "number", "count", "counter", "bytes", "seconds", "celsius", "dbm", "mhz", "string"] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

export const ITEM_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
export const MAX_STRING_LENGTH = 1024;

/**
 * A record's id, the key of deduplication: 1–128 characters without whitespace or control
 * characters. bagtower's own are 22 or more; a microcontroller's counter (`42`) is as good an id.
 */
export const RECORD_ID_PATTERN = /^[^\s\p{Cc}]{1,128}$/u;

export const MACHINE_ID_PATTERN = /^[0-9a-zA-Z_-]{1,64}$/;

/** The longest meta.hostname, meta.bootId and meta.agent a record may carry. */
export const META_TEXT_LIMITS = { hostname: 255, bootId: 64, agent: 64 } as const;

/** meta.host's facts, in the order record/host-facts.ts's schema lists them, and their length cap. */
export const HOST_FACT_KEYS = ["osId", "osVariantId", "osVersionId", "sysVendor", "productName", "productVersion", "boardName", "boardVendor", "biosVersion", "cpuModel", "deviceTreeModel"] as const;
export const MAX_FACT_LENGTH = 256;
