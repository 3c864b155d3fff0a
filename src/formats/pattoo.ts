// pattoo agent JSON (SPEC §7; pattoo_shared variables.DataPoint and converter.datapoints_to_dicts; seeds/001 example).
import type { BagtowerRecord } from "../record/schema.ts";
import { numericPoints, recordHost, type NumericPoint } from "./flatten.ts";
import type { EncodeOptions, Encoded } from "./types.ts";

/** pattoo_shared constants DATA_FLOAT, DATA_INT, DATA_COUNT64, DATA_COUNT, DATA_STRING. */
export const PATTOO_DATA_TYPES = { float: 101, int: 99, counter64: 64, counter: 32, string: 2 } as const;

export const PATTOO_AGENT_PROGRAM = "bagtower";

type _Value = number | string;
type _Pair = [string, _Value];

interface _Datapoint {
  key: string;
  dataType: number;
  value: _Value;
}

function _sha256(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

/**
 * pattoo's DataPoint checksum: sha256(key + data_type), then one sha256(checksum + key + value)
 * per metadata pair in the order added. A key seen before is skipped, because pattoo's
 * DataPoint.add ignores a repeated key (neither stored nor hashed twice). The caller leaves the
 * polling interval out: pattoo adds it with update_checksum=False so a new interval does not
 * start a new chart.
 */
export function pattooChecksum(key: string, dataType: number, metadata: [string, string][]): string {
  let checksum = _sha256(`${key}${dataType}`);
  const seen = new Set<string>();
  for (const [metaKey, metaValue] of metadata) {
    if (seen.has(metaKey)) continue;
    seen.add(metaKey);
    checksum = _sha256(`${checksum}${metaKey}${metaValue}`);
  }
  return checksum;
}

/** pattoo keys are lowercased and trimmed (pattoo_shared _key_value_valid). */
function _key(raw: string): string {
  return raw.trim().toLowerCase();
}

/**
 * pattoo_shared refuses any datapoint or metadata key containing "pattoo" (reserved for its own
 * keys); sending one would only make the server drop it, so it is left out here.
 */
function _validKey(key: string): boolean {
  return key !== "" && !key.includes("pattoo");
}

function _numericDataType(point: NumericPoint): number {
  // counter64, not counter (32): our counters (network bytes) pass 2^32 within days.
  if (point.type === "counter") return PATTOO_DATA_TYPES.counter64;
  if ((point.type === "count" || point.type === "bytes") && Number.isInteger(point.value)) return PATTOO_DATA_TYPES.int;
  return PATTOO_DATA_TYPES.float;
}

/** Every datapoint of a record, in record order: numbers from numericPoints(), strings as type 2. */
function _datapoints(record: BagtowerRecord): _Datapoint[] {
  const points = numericPoints(record);
  const out: _Datapoint[] = [];
  let cursor = 0;
  for (const item of record.data) {
    if (item.type === "string") {
      const entries: [string, string][] = typeof item.val === "string" ? [[item.id, item.val]] : Object.entries(item.val).map(([k, v]) => [`${item.id}.${k}`, v]);
      for (const [key, value] of entries) out.push({ key: _key(key), dataType: PATTOO_DATA_TYPES.string, value });
      continue;
    }
    // numericPoints() walks record.data in the same order, so its points for this item come next.
    for (let point = points[cursor]; point !== undefined && point.id === item.id; point = points[++cursor]) {
      const key = point.key === undefined ? point.id : `${point.id}.${point.key}`;
      out.push({ key: _key(key), dataType: _numericDataType(point), value: point.value });
    }
  }
  return out.filter((dp) => _validKey(dp.key));
}

/** The record's tags as pattoo metadata: keys normalised, values trimmed strings, first key wins. */
function _tagPairs(record: BagtowerRecord): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [rawKey, rawValue] of Object.entries(record.meta.tags)) {
    const key = _key(rawKey);
    if (!_validKey(key) || pairs.some(([seen]) => seen === key)) continue;
    pairs.push([key, String(rawValue).trim()]);
  }
  return pairs;
}

/**
 * One record → one pattoo agent post. pattoo's agent API takes one poll per post (the cache file
 * is named after pattoo_agent_timestamp), so a batch is refused rather than silently merged.
 */
export function encodePattoo(records: BagtowerRecord[], options: EncodeOptions): Encoded {
  if (records.length !== 1) throw new Error(`pattoo takes exactly one record per request, got ${records.length}`);
  const record = records[0]!;
  const timestampMs = record.unixTimestamp * 1000;

  const tags = _tagPairs(record);
  const hostname: [string, string] = ["pattoo_agent_hostname", record.meta.hostname.trim()];
  const agentId: [string, string] = ["pattoo_agent_id", options.pattooAgentId.trim()];
  const target: [string, string] = ["pattoo_agent_polled_target", recordHost(record).trim()];
  const program: [string, string] = ["pattoo_agent_program", PATTOO_AGENT_PROGRAM];
  const interval: [string, string] = ["pattoo_agent_polling_interval", String(options.pollingIntervalMs)];
  // Listed in the order of pattoo's own output (seeds/001: the agent keys sorted, so the interval
  // sits before the program); the checksum order is that of SPEC §7 and leaves the interval out.
  const metadata: _Pair[] = [...tags, hostname, agentId, target, interval, program];
  const checksummed: [string, string][] = [...tags, hostname, agentId, target, program];

  const ids = new Map<string, number>();
  const keyValuePairs: Record<string, _Pair> = {};
  const idOf = (pair: _Pair): number => {
    const identity = JSON.stringify(pair);
    let id = ids.get(identity);
    if (id === undefined) {
      id = ids.size;
      ids.set(identity, id);
      keyValuePairs[String(id)] = pair;
    }
    return id;
  };

  const datapointPairs: number[][] = [];
  for (const dp of _datapoints(record)) {
    const pairs: _Pair[] = [
      ...metadata,
      ["pattoo_key", dp.key],
      ["pattoo_data_type", dp.dataType],
      ["pattoo_value", dp.value],
      ["pattoo_timestamp", timestampMs],
      ["pattoo_checksum", pattooChecksum(dp.key, dp.dataType, checksummed)],
    ];
    datapointPairs.push(pairs.map(idOf));
  }

  const body = {
    pattoo_agent_timestamp: timestampMs,
    pattoo_agent_id: options.pattooAgentId,
    pattoo_agent_polling_interval: options.pollingIntervalMs,
    pattoo_datapoints: { key_value_pairs: keyValuePairs, datapoint_pairs: datapointPairs },
  };
  return { body: JSON.stringify(body), contentType: "application/json", headers: {} };
}
