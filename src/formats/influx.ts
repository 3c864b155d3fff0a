// InfluxDB line protocol (SPEC §7; docs.influxdata.com "Line protocol" reference, precision=s).
import type { BagtowerRecord } from "../record/schema.ts";
import { numericPoints, type NumericPoint } from "./flatten.ts";
import type { EncodeOptions, Encoded } from "./types.ts";

export const INFLUX_MEASUREMENT = "bagtower";

/** Between an item's id and its key in a field name (`cpu_per_cpu_0`); ingest splits there. */
export const INFLUX_KEY_SEPARATOR = "_";

/** Tags the encoder sets itself; a config tag of the same name would make a duplicate tag key. */
const _RESERVED_TAGS = new Set(["host", "device"]);

const _INTEGER_TYPES = new Set<NumericPoint["type"]>(["count", "bytes", "counter"]);

/**
 * Line protocol has no way to escape a line break, so one inside a name or tag would split the
 * line; it becomes a (then escaped) space.
 */
function _oneLine(text: string): string {
  return text.replace(/[\r\n\t]/g, " ");
}

/** Measurement names escape commas and spaces. */
export function escapeMeasurement(text: string): string {
  return _oneLine(text).replace(/[, ]/g, (c) => `\\${c}`);
}

/** Tag keys, tag values and field keys escape commas, equals signs and spaces. */
export function escapeKey(text: string): string {
  return _oneLine(text).replace(/[,= ]/g, (c) => `\\${c}`);
}

/**
 * Integer or float is decided by the item, never by the value: InfluxDB refuses a write whose
 * field type differs from the one already stored in the shard, so `22` today and `22.5` tomorrow
 * must both be floats.
 */
export function influxIsInteger(point: NumericPoint): boolean {
  return _INTEGER_TYPES.has(point.type) || point.id === "processes";
}

function _fieldValue(point: NumericPoint): string {
  // BigInt prints every digit (String(1e21) would be "1e+21", which is not an integer literal).
  if (influxIsInteger(point)) return `${BigInt(Math.round(point.value))}i`;
  // A bare number without the `i` suffix is a float to InfluxDB, so an integral float stays "22".
  return String(point.value);
}

function _fieldKey(point: NumericPoint): string {
  return point.key === undefined ? point.id : `${point.id}${INFLUX_KEY_SEPARATOR}${point.key}`;
}

/** One line for a record, or undefined when it has no number to write (a line needs a field). */
export function influxLine(record: BagtowerRecord): string | undefined {
  const fields: string[] = [];
  const seen = new Set<string>();
  for (const point of numericPoints(record)) {
    const key = _fieldKey(point);
    // Two items flattening to one field key would make InfluxDB keep only one; keep the first.
    if (seen.has(key)) continue;
    seen.add(key);
    fields.push(`${escapeKey(key)}=${_fieldValue(point)}`);
  }
  if (fields.length === 0) return undefined;

  const tags: [string, string][] = [["host", record.meta.hostname]];
  if (record.deviceId !== undefined) tags.push(["device", record.deviceId]);
  const extra = Object.entries(record.meta.tags)
    .filter(([k]) => !_RESERVED_TAGS.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  tags.push(...extra);
  // An empty tag key or value is a parse error for InfluxDB; an absent tag is not.
  const tagText = tags
    .filter(([k, v]) => k !== "" && v !== "")
    .map(([k, v]) => `,${escapeKey(k)}=${escapeKey(v)}`)
    .join("");

  return `${escapeMeasurement(INFLUX_MEASUREMENT)}${tagText} ${fields.join(",")} ${record.unixTimestamp}`;
}

/** Several records → one body, one line each, in the order given; the sink adds precision=s. */
export function encodeInflux(records: BagtowerRecord[], _options: EncodeOptions): Encoded {
  const body = records
    .map(influxLine)
    .filter((line) => line !== undefined)
    .map((line) => `${line}\n`)
    .join("");
  return { body, contentType: "text/plain; charset=utf-8", headers: {} };
}
