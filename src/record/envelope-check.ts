import { DEVICE_ID_PATTERN } from "./device-id-rules.ts";
import { HOST_FACT_KEYS, MACHINE_ID_PATTERN, MAX_FACT_LENGTH, RECORD_ID_PATTERN } from "./rules.ts";
import type { BagtowerRecord, Item } from "./schema.ts";

/**
 * A record around items already checked (item-check.ts), as recordEnvelopeSchema (schema.ts)
 * would output it, or undefined: then ask the schema, for its message. Like checkedItem it only
 * ever says yes to what the schema accepts (test/unit/envelope-check.test.ts fuzzes the two against
 * each other), and its output is the schema's to the byte, keys in the schema's order. collect
 * checks its own record with it, so a run loads no record schema at all.
 */
const _RECORD_KEYS = new Set(["deviceId", "unixTimestamp", "UTCTimestamp", "data", "meta"]);
const _META_KEYS = new Set(["recordId", "machineId", "hostname", "bootId", "seq", "agent", "tags", "errors", "cpuWindowS", "host"]);
const _FACT_KEYS = new Set<string>(HOST_FACT_KEYS);
// valibot's records leave these out of their output (prototype pollution); valibot decides those.
const _UNSAFE_KEYS = new Set(["__proto__", "prototype", "constructor"]);
/** Date#toISOString's form; valibot's isoTimestamp accepts every one that is also a real date. */
const _ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function _plain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function _only(object: Record<string, unknown>, known: Set<string>): boolean {
  for (const key in object) if (!known.has(key)) return false;
  return true;
}

const _text = (v: unknown, max: number): v is string => typeof v === "string" && v.length <= max;

function _tags(v: unknown): Record<string, string> | undefined {
  if (!_plain(v)) return undefined;
  const out: Record<string, string> = {};
  for (const key in v) {
    if (_UNSAFE_KEYS.has(key) || typeof v[key] !== "string") return undefined;
    out[key] = v[key] as string;
  }
  return out;
}

function _errors(v: unknown): { id: string; message: string }[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: { id: string; message: string }[] = [];
  for (const e of v) {
    if (!_plain(e) || !_only(e, _ERROR_KEYS) || typeof e.id !== "string" || typeof e.message !== "string") return undefined;
    out.push({ id: e.id, message: e.message });
  }
  return out;
}
const _ERROR_KEYS = new Set(["id", "message"]);

function _host(v: unknown): Record<string, string> | undefined {
  if (!_plain(v) || !_only(v, _FACT_KEYS)) return undefined;
  const out: Record<string, string> = {};
  for (const key of HOST_FACT_KEYS) {
    if (!(key in v)) continue;
    if (!_text(v[key], MAX_FACT_LENGTH)) return undefined;
    out[key] = v[key] as string;
  }
  return out;
}

export function checkedEnvelope(record: unknown, data: Item[]): BagtowerRecord | undefined {
  if (!_plain(record) || !_only(record, _RECORD_KEYS) || !_plain(record.meta)) return undefined;
  const { deviceId, unixTimestamp, UTCTimestamp, meta } = record;
  if ("deviceId" in record && !(typeof deviceId === "string" && DEVICE_ID_PATTERN.test(deviceId))) return undefined;
  if (!(Number.isInteger(unixTimestamp) && (unixTimestamp as number) >= 0)) return undefined;
  if (!(typeof UTCTimestamp === "string" && _ISO.test(UTCTimestamp) && !Number.isNaN(Date.parse(UTCTimestamp)) && new Date(UTCTimestamp).toISOString() === UTCTimestamp)) return undefined;
  if (!Array.isArray(record.data) || !_only(meta, _META_KEYS)) return undefined;
  const { recordId, machineId, hostname, bootId, seq, agent, cpuWindowS } = meta;
  if (!(typeof recordId === "string" && RECORD_ID_PATTERN.test(recordId)) || !(typeof machineId === "string" && MACHINE_ID_PATTERN.test(machineId))) return undefined;
  if (!_text(hostname, 255) || !_text(bootId, 64) || !_text(agent, 64) || !(Number.isInteger(seq) && (seq as number) >= 0)) return undefined;
  if ("cpuWindowS" in meta && !(typeof cpuWindowS === "number" && !Number.isNaN(cpuWindowS))) return undefined;
  const tags = _tags(meta.tags);
  const errors = _errors(meta.errors);
  const host = "host" in meta ? _host(meta.host) : undefined;
  if (!tags || !errors || ("host" in meta && !host)) return undefined;
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
      ...(host ? { host } : {}),
    },
  };
}
