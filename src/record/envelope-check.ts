import { DEVICE_ID_PATTERN } from "./device-id-rules.ts";
import { isPlainObject, UNSAFE_KEYS } from "./item-check.ts";
import { HOST_FACT_KEYS, MACHINE_ID_PATTERN, MAX_FACT_LENGTH, META_TEXT_LIMITS, RECORD_ID_PATTERN } from "./rules.ts";
import type { BagtowerRecord, Item } from "./schema.ts";

const _RECORD_KEYS = new Set(["deviceId", "unixTimestamp", "UTCTimestamp", "data", "meta"]);
const _META_KEYS = new Set(["recordId", "machineId", "hostname", "bootId", "seq", "agent", "tags", "errors", "cpuWindowS", "self", "host"]);
/** selfMetricsSchema's fields (schema.ts), in its order: the numbers, then lastError. */
const _SELF_NUMBERS = ["spoolDepth", "spoolBytes", "droppedExpired", "droppedFull", "droppedRateLimited", "rejected"] as const;
const _SELF_KEYS = new Set<string>([..._SELF_NUMBERS, "lastError"]);
const _FACT_KEYS = new Set<string>(HOST_FACT_KEYS);
const _ERROR_KEYS = new Set(["id", "message"]);
/** Date#toISOString's form; valibot's isoTimestamp accepts every one that is also a real date. */
const _ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function _only(object: Record<string, unknown>, known: Set<string>): boolean {
  for (const key in object) if (!known.has(key)) return false;
  return true;
}

/** A real instant written as Date#toISOString writes it (February 30 parses, but not back to itself). */
function _isoInstant(text: string): boolean {
  if (!_ISO.test(text)) return false;
  const ms = Date.parse(text);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === text;
}

const _text = (v: unknown, max: number): v is string => typeof v === "string" && v.length <= max;

function _tags(v: unknown): Record<string, string> | undefined {
  if (!isPlainObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const key in v) {
    if (UNSAFE_KEYS.has(key) || typeof v[key] !== "string") return undefined;
    out[key] = v[key] as string;
  }
  return out;
}

function _errors(v: unknown): { id: string; message: string }[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: { id: string; message: string }[] = [];
  for (const e of v) {
    if (!isPlainObject(e) || !_only(e, _ERROR_KEYS) || typeof e.id !== "string" || typeof e.message !== "string") return undefined;
    out.push({ id: e.id, message: e.message });
  }
  return out;
}

/** The delivery figures push adds (meta.self), every field present; an unknown one is left to the schema (it drops it). */
function _self(v: unknown): NonNullable<BagtowerRecord["meta"]["self"]> | undefined {
  if (!isPlainObject(v) || !_only(v, _SELF_KEYS)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of _SELF_NUMBERS) {
    const n = v[key];
    if (typeof n !== "number" || Number.isNaN(n)) return undefined;
    out[key] = n;
  }
  if (!(v.lastError === null || typeof v.lastError === "string")) return undefined;
  out.lastError = v.lastError;
  return out as NonNullable<BagtowerRecord["meta"]["self"]>;
}

function _host(v: unknown): Record<string, string> | undefined {
  if (!isPlainObject(v) || !_only(v, _FACT_KEYS)) return undefined;
  const out: Record<string, string> = {};
  for (const key of HOST_FACT_KEYS) {
    if (!(key in v)) continue;
    if (!_text(v[key], MAX_FACT_LENGTH)) return undefined;
    out[key] = v[key] as string;
  }
  return out;
}

/**
 * A record around items already checked (item-check.ts), as recordEnvelopeSchema (schema.ts)
 * would output it, or undefined: then ask the schema, for its message. Like checkedItem it only
 * ever says yes to what the schema accepts (test/unit/envelope-check.test.ts fuzzes the two against
 * each other), and its output is the schema's to the byte, keys in the schema's order. collect
 * checks its own record with it, so a run loads no record schema at all; serve checks an agent's
 * whole record with it first (ingest/bagtower.ts), before the schema of partial records.
 */
export function checkedEnvelope(record: unknown, data: Item[]): BagtowerRecord | undefined {
  if (!isPlainObject(record) || !_only(record, _RECORD_KEYS) || !isPlainObject(record.meta)) return undefined;
  const { deviceId, unixTimestamp, UTCTimestamp, meta } = record;
  if ("deviceId" in record && !(typeof deviceId === "string" && DEVICE_ID_PATTERN.test(deviceId))) return undefined;
  if (!(Number.isInteger(unixTimestamp) && (unixTimestamp as number) >= 0)) return undefined;
  if (!(typeof UTCTimestamp === "string" && _isoInstant(UTCTimestamp))) return undefined;
  if (!Array.isArray(record.data) || !_only(meta, _META_KEYS)) return undefined;
  const { recordId, machineId, hostname, bootId, seq, agent, cpuWindowS } = meta;
  if (!(typeof recordId === "string" && RECORD_ID_PATTERN.test(recordId)) || !(typeof machineId === "string" && MACHINE_ID_PATTERN.test(machineId))) return undefined;
  if (!_text(hostname, META_TEXT_LIMITS.hostname) || !_text(bootId, META_TEXT_LIMITS.bootId) || !_text(agent, META_TEXT_LIMITS.agent) || !(Number.isInteger(seq) && (seq as number) >= 0)) return undefined;
  if ("cpuWindowS" in meta && !(typeof cpuWindowS === "number" && !Number.isNaN(cpuWindowS))) return undefined;
  const tags = _tags(meta.tags);
  const errors = _errors(meta.errors);
  const self = "self" in meta ? _self(meta.self) : undefined;
  const host = "host" in meta ? _host(meta.host) : undefined;
  if (!tags || !errors || ("self" in meta && !self) || ("host" in meta && !host)) return undefined;
  return {
    ...(typeof deviceId === "string" ? { deviceId } : {}),
    unixTimestamp: unixTimestamp as number,
    UTCTimestamp,
    data,
    meta: {
      recordId,
      machineId,
      hostname,
      bootId,
      seq: seq as number,
      agent,
      tags,
      errors,
      ...("cpuWindowS" in meta ? { cpuWindowS: cpuWindowS as number } : {}),
      ...(self ? { self } : {}),
      ...(host ? { host } : {}),
    },
  };
}
