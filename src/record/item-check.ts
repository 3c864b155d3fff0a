import { ITEM_ID_PATTERN, ITEM_TYPES, MAX_STRING_LENGTH } from "./rules.ts";
import type { Item } from "./schema.ts";

/**
 * Whether an item is certainly valid by itemSchema (schema.ts), decided without valibot: the
 * receiver's fast path on batched ingest, where valibot's per-field pipelines were half of the CPU.
 * It only ever says yes to what itemSchema accepts (test/unit/item-check.test.ts fuzzes the two
 * against each other); anything it does not recognise goes through valibot, whose messages the
 * user then reads. The item it returns is what valibot's output would be, {id, type, val} (the input
 * itself when its keys already come in that order).
 */
const _KEY = /^[^\s].{0,63}$/;
/** valibot's records leave these out of their output (prototype pollution); valibot decides those. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(["__proto__", "prototype", "constructor"]);
const _ORDER = ["id", "type", "val"];
const _NUMERIC = new Set<unknown>(ITEM_TYPES.filter((t) => t !== "string"));

function _finite(v: unknown): boolean {
  return typeof v === "number" && Number.isFinite(v);
}

/** An object literal or JSON object, as valibot's objects and records take them. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function _numericVal(val: unknown): boolean {
  if (typeof val === "number") return Number.isFinite(val);
  if (Array.isArray(val)) {
    for (let i = 0; i < val.length; i++) if (!_finite(val[i])) return false;
    return true;
  }
  if (!isPlainObject(val)) return false;
  for (const key in val) if (!_KEY.test(key) || UNSAFE_KEYS.has(key) || !_finite(val[key])) return false;
  return true;
}

function _text(v: unknown): boolean {
  return typeof v === "string" && v.length <= MAX_STRING_LENGTH;
}

function _textVal(val: unknown): boolean {
  if (typeof val === "string") return val.length <= MAX_STRING_LENGTH;
  if (!isPlainObject(val)) return false;
  for (const key in val) if (!_KEY.test(key) || UNSAFE_KEYS.has(key) || !_text(val[key])) return false;
  return true;
}

/** The item as itemSchema would output it, or undefined: then ask itemSchema (for its message). */
export function checkedItem(input: unknown): Item | undefined {
  if (!isPlainObject(input)) return undefined;
  let keys = 0;
  // Keys in the schema's order (id, type, val: what every agent sends) let the input itself be the
  // output, as JSON.stringify writes it the same: a batch of 500 records makes ~9,000 fewer objects.
  let ordered = true;
  for (const key in input) {
    if (key !== "id" && key !== "type" && key !== "val") return undefined;
    if (key !== _ORDER[keys]) ordered = false;
    keys++;
  }
  if (keys !== 3) return undefined;
  const { id, type, val } = input;
  if (typeof id !== "string" || !ITEM_ID_PATTERN.test(id)) return undefined;
  if (type === "string" ? !_textVal(val) : !_NUMERIC.has(type) || !_numericVal(val)) return undefined;
  return (ordered ? input : { id, type, val }) as Item;
}
