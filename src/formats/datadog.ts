// Datadog series JSON (SPEC §7; Datadog API v1 POST /api/v1/series, as chouette-iot sends it),
// named as the other numeric formats are (metric-names.ts, docs/METRICS.md).
import type { BagtowerRecord } from "../record/schema.ts";
import { recordHost } from "./flatten.ts";
import { recordSeries, type MetricSeries } from "./metric-names.ts";
import type { EncodeOptions, Encoded } from "./types.ts";

export interface DatadogSeries {
  metric: string;
  points: [number, number][];
  type: "gauge" | "count" | "rate";
  host: string;
  tags: string[];
}

/** Every metric bagtower's datadog sink sends starts with this; ingest reads such a metric back as an item. */
export const DATADOG_PREFIX = "bagtower.";

/** The suffix of a counter item's metric from agents before issue 15 (`bagtower.network.bytes_sent.total`); ingest still reads it. */
export const DATADOG_COUNTER_SUFFIX = ".total";

/**
 * `bagtower.<metric>` with the metric names of metric-names.ts (`bagtower.network_receive_bytes_total`),
 * the item's key as tags (`interface:wlan0`). A counter's name ends in `_total` and goes out as
 * a `gauge`: Datadog's `count` type means "the delta during this interval" and would be summed
 * into nonsense, so a dashboard applies rate()/diff() to the running total.
 */
export function datadogMetricName(series: Pick<MetricSeries, "name">): string {
  return `${DATADOG_PREFIX}${series.name}`;
}

/** `k:v` from meta.tags, sorted so the same tags always make the same series. */
function _tags(record: BagtowerRecord): [string, string][] {
  return Object.entries(record.meta.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Several records → one series per (metric, host, tags), points from every record in the order
 * given, so a spool flush of N records is one request instead of N. Tags: the key's labels, the
 * record's tags (one named like a key label yields), then `device:<id>`.
 */
export function encodeDatadog(records: BagtowerRecord[], _options: EncodeOptions): Encoded {
  const series = new Map<string, DatadogSeries>();
  for (const record of records) {
    const host = recordHost(record);
    const recordTags = _tags(record);
    for (const point of recordSeries(record)) {
      const metric = datadogMetricName(point);
      const tags = [...point.labels, ...recordTags.filter(([k]) => !point.labels.some(([l]) => l === k))].map(([k, v]) => `${k}:${v}`);
      if (record.deviceId !== undefined) tags.push(`device:${record.deviceId}`);
      const identity = JSON.stringify([metric, host, tags]);
      let entry = series.get(identity);
      if (entry === undefined) {
        entry = { metric, points: [], type: "gauge", host, tags };
        series.set(identity, entry);
      }
      entry.points.push([record.unixTimestamp, point.value]);
    }
  }
  return { body: JSON.stringify({ series: [...series.values()] }), contentType: "application/json", headers: {} };
}
