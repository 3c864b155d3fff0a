// InfluxDB line protocol (SPEC §7; docs.influxdata.com "Line protocol" reference, precision=s).
// Measurement `bagtower`, one field per metric of metric-names.ts, and a line per label set: an
// item's key is a tag (`mountpoint=/`), never part of a field name. VictoriaMetrics and Telegraf
// name a field `<measurement>_<field>`, so the lines land under the very names the Prometheus
// exposition has (`bagtower_filesystem_used_percent{mountpoint="/"}`).
import type { BagtowerRecord } from "../record/schema.ts";
import { recordSeries, type MetricSeries } from "./metric-names.ts";
import type { EncodeOptions, Encoded } from "./types.ts";

export const INFLUX_MEASUREMENT = "bagtower";

/**
 * Between an item's id and its key in the field names of agents before issue 15
 * (`cpu_per_cpu_0`): ingest still reads those.
 */
export const INFLUX_KEY_SEPARATOR = "_";

/** Tags the encoder sets itself; a config tag of the same name would make a duplicate tag key. */
const _RESERVED_TAGS = new Set(["host", "device"]);

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
 * Integer or float is decided by the metric, never by the value: InfluxDB refuses a write whose
 * field type differs from the one already stored in the shard, so `22` today and `22.5` tomorrow
 * must both be floats.
 */
function _fieldValue(series: MetricSeries): string {
  // BigInt prints every digit (String(1e21) would be "1e+21", which is not an integer literal).
  if (series.integer) return `${BigInt(Math.round(series.value))}i`;
  // A bare number without the `i` suffix is a float to InfluxDB, so an integral float stays "22".
  return String(series.value);
}

function _tagText(tags: [string, string][]): string {
  // An empty tag key or value is a parse error for InfluxDB; an absent tag is not.
  return tags
    .filter(([k, v]) => k !== "" && v !== "")
    .map(([k, v]) => `,${escapeKey(k)}=${escapeKey(v)}`)
    .join("");
}

/**
 * A record's lines: one per set of key labels (the scalar metrics first, then `cpu=0`,
 * `mountpoint=/`, … in record order), each with host, device and the record's tags; none when the
 * record has no number (a line needs a field). A tag named like a key label of the line yields.
 */
export function influxLines(record: BagtowerRecord): string[] {
  const groups = new Map<string, { labels: [string, string][]; fields: string[]; seen: Set<string> }>();
  groups.set("[]", { labels: [], fields: [], seen: new Set() });
  for (const series of recordSeries(record)) {
    const identity = JSON.stringify(series.labels);
    let group = groups.get(identity);
    if (group === undefined) groups.set(identity, (group = { labels: series.labels, fields: [], seen: new Set() }));
    // Two items landing on one field of one line would make InfluxDB keep only one; keep the first.
    if (group.seen.has(series.name)) continue;
    group.seen.add(series.name);
    group.fields.push(`${escapeKey(series.name)}=${_fieldValue(series)}`);
  }

  const common: [string, string][] = [["host", record.meta.hostname]];
  if (record.deviceId !== undefined) common.push(["device", record.deviceId]);
  const extra = Object.entries(record.meta.tags)
    .filter(([k]) => !_RESERVED_TAGS.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const lines: string[] = [];
  for (const { labels, fields } of groups.values()) {
    if (fields.length === 0) continue;
    const tags = [...common, ...labels, ...extra.filter(([k]) => !labels.some(([l]) => l === k))];
    lines.push(`${escapeMeasurement(INFLUX_MEASUREMENT)}${_tagText(tags)} ${fields.join(",")} ${record.unixTimestamp}`);
  }
  return lines;
}

/** Several records → one body, their lines in the order given; the sink adds precision=s. */
export function encodeInflux(records: BagtowerRecord[], _options: EncodeOptions): Encoded {
  const body = records
    .flatMap(influxLines)
    .map((line) => `${line}\n`)
    .join("");
  return { body, contentType: "text/plain; charset=utf-8", headers: {} };
}
