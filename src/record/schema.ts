import * as v from "valibot";
import { deviceIdSchema } from "./device-id-rules.ts";
import { hostFactsSchema } from "./host-facts.ts";

import { ITEM_ID_PATTERN, ITEM_TYPES, MACHINE_ID_PATTERN, MAX_STRING_LENGTH, META_TEXT_LIMITS, RECORD_ID_PATTERN, type ItemType } from "./rules.ts";

export { ITEM_ID_PATTERN, ITEM_TYPES, MAX_STRING_LENGTH, RECORD_ID_PATTERN, type ItemType };

// The leaves every value passes through are one check each rather than a pipe of a type and a rule:
// the same answers and messages, at a fraction of the cost (collect validates its record in the
// interpreter; a receiver validates every number of every record).
const _finite = v.custom<number>(
  (input) => typeof input === "number" && Number.isFinite(input),
  (issue) => (typeof issue.input === "number" && !Number.isNaN(issue.input) ? "expected a finite number" : "expected a number"),
);
const _KEY = /^[^\s].{0,63}$/;
const _key = v.custom<string>((input) => typeof input === "string" && _KEY.test(input), "expected a key of 1–64 characters");
const _text = v.custom<string>(
  (input) => typeof input === "string" && input.length <= MAX_STRING_LENGTH,
  (issue) => (typeof issue.input === "string" ? `expected at most ${MAX_STRING_LENGTH} characters` : "expected a string"),
);

const _numbers = v.array(_finite, "expected an array of numbers");
const _numbersByKey = v.record(_key, _finite, "expected an object of numbers");
const _numericAny = v.union([_finite, _numbers, _numbersByKey], "expected a number, an array of numbers or an object of numbers");
const _textByKey = v.record(_key, _text, "expected an object of strings");
const _textAny = v.union([_text, _textByKey], "expected a string or an object of strings");

// The unions, dispatched on the value's JavaScript type first: the same results, without trying
// (and building issues for) the branches that cannot match, on every item a receiver validates.
export const numericValueSchema = v.lazy((input): v.GenericSchema<unknown, v.InferOutput<typeof _numericAny>> =>
  typeof input === "number" ? _finite : Array.isArray(input) ? _numbers : typeof input === "object" && input !== null ? _numbersByKey : _numericAny,
);
export const stringValueSchema = v.lazy((input): v.GenericSchema<unknown, v.InferOutput<typeof _textAny>> =>
  typeof input === "string" ? _text : typeof input === "object" && input !== null && !Array.isArray(input) ? _textByKey : _textAny,
);

export type NumericValue = v.InferOutput<typeof numericValueSchema>;
export type StringValue = v.InferOutput<typeof stringValueSchema>;

const _itemId = v.custom<string>(
  (input) => typeof input === "string" && ITEM_ID_PATTERN.test(input),
  (issue) => (typeof issue.input === "string" ? "expected 1–64 letters, digits, '_', '.', ':' or '-'" : "expected a string"),
);
const _textItem = v.strictObject({ id: _itemId, type: v.literal("string"), val: stringValueSchema });
const _numericTypes = ITEM_TYPES.filter((t) => t !== "string") as Exclude<ItemType, "string">[];
const _numericItem = v.strictObject({ id: _itemId, type: v.picklist(_numericTypes, `expected one of ${ITEM_TYPES.join(", ")}`), val: numericValueSchema });
const _anyItem = v.variant("type", [_textItem, _numericItem], `expected a type of ${ITEM_TYPES.join(", ")}`);
const _NUMERIC_TYPES = new Set<unknown>(_numericTypes);

/**
 * A data item: numbers for every type but `string`, which carries text (or a table of text).
 * Dispatched on `type` first, as the value schemas are: v.variant tries its options in turn and
 * builds a Set and a discarded issue per item, a third of a receiver's CPU on batched ingest. An
 * item whose type is neither goes to the variant, for its message.
 */
export const itemSchema = v.lazy((input): v.GenericSchema<unknown, v.InferOutput<typeof _anyItem>> => {
  const type = typeof input === "object" && input !== null ? (input as { type?: unknown }).type : undefined;
  return type === "string" ? _textItem : _NUMERIC_TYPES.has(type) ? _numericItem : _anyItem;
});

export type Item = v.InferOutput<typeof itemSchema>;

export const itemErrorSchema = v.object({ id: v.string(), message: v.string() });
export type ItemError = v.InferOutput<typeof itemErrorSchema>;

/** Delivery figures a record carries about the agent itself (SPEC §6), filled in by push. */
export const selfMetricsSchema = v.object({
  spoolDepth: v.number(),
  spoolBytes: v.number(),
  droppedExpired: v.number(),
  droppedFull: v.number(),
  droppedRateLimited: v.number(),
  rejected: v.number(),
  lastError: v.nullable(v.string()),
});

export const recordIdSchema = v.pipe(v.string("expected a string"), v.regex(RECORD_ID_PATTERN, "expected 1–128 characters without spaces or control characters"));

export const metaSchema = v.object({
  recordId: recordIdSchema,
  machineId: v.pipe(v.string(), v.regex(MACHINE_ID_PATTERN, "expected a machine id")),
  hostname: v.pipe(v.string(), v.maxLength(META_TEXT_LIMITS.hostname)),
  bootId: v.pipe(v.string(), v.maxLength(META_TEXT_LIMITS.bootId)),
  seq: v.pipe(v.number(), v.integer(), v.minValue(0)),
  agent: v.pipe(v.string(), v.maxLength(META_TEXT_LIMITS.agent)),
  tags: v.record(v.string(), v.string()),
  errors: v.array(itemErrorSchema),
  cpuWindowS: v.optional(v.number()),
  self: v.optional(selfMetricsSchema),
  /** The machine's os-release, DMI and CPU facts, for formats that carry them (telemetrics). */
  host: v.optional(hostFactsSchema),
});

export type RecordMeta = v.InferOutput<typeof metaSchema>;

/**
 * The record of SPEC §4.1. deviceId, unixTimestamp, UTCTimestamp and data are the BAG·Tower wire
 * body; meta is what a receiver needs for deduplication. The receiver reuses this schema, with meta
 * and UTCTimestamp optional (microcontroller sketches send neither).
 */
const _recordOf = <T extends v.GenericSchema>(item: T) =>
  v.strictObject({
    deviceId: v.optional(deviceIdSchema),
    unixTimestamp: v.pipe(v.number("expected a number"), v.integer("expected whole seconds"), v.minValue(0)),
    UTCTimestamp: v.pipe(v.string(), v.isoTimestamp("expected an ISO 8601 timestamp")),
    data: v.array(item, "expected an array of items"),
    meta: metaSchema,
  });
export const recordSchema = _recordOf(itemSchema);
/** The record around its items, for when record/item-check.ts has checked the items themselves. */
export const recordEnvelopeSchema = _recordOf(v.unknown());

export type BagtowerRecord = v.InferOutput<typeof recordSchema>;
