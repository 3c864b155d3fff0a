// Datadog series JSON (SPEC §7; Datadog API v1 POST /api/v1/series, as chouette-iot sends it).
import type { BagtowerRecord } from "../record/schema.ts";
import { numericPoints, recordHost, type NumericPoint } from "./flatten.ts";
import type { EncodeOptions, Encoded } from "./types.ts";

export interface DatadogSeries {
  metric: string;
  points: [number, number][];
  type: "gauge" | "count" | "rate";
  host: string;
  tags: string[];
}

/** Datadog metric names allow letters, digits, '_' and '.'; anything else would be rewritten by Datadog anyway. */
function _sanitise(part: string): string {
  return part.replace(/[^A-Za-z0-9_.]/g, "_");
}

/** Every metric bagtower's datadog sink sends starts with this; ingest reads such a metric back as an item. */
export const DATADOG_PREFIX = "bagtower.";

/** The suffix of a counter item's metric (see datadogMetricName). */
export const DATADOG_COUNTER_SUFFIX = ".total";

/**
 * `bagtower.<id>[.<key>]`. A `counter` item is a monotonic running total, but Datadog's `count`
 * type means "the delta during this interval" and would be summed into nonsense, so counters go
 * out as `gauge` with a `.total` suffix: the name says it is a running total and a dashboard
 * applies rate()/diff() to it.
 */
export function datadogMetricName(point: NumericPoint): string {
  const base = point.key === undefined ? `${DATADOG_PREFIX}${_sanitise(point.id)}` : `${DATADOG_PREFIX}${_sanitise(point.id)}.${_sanitise(point.key)}`;
  return point.type === "counter" ? `${base}${DATADOG_COUNTER_SUFFIX}` : base;
}

/** `k:v` from meta.tags, sorted so the same tags always make the same series, plus `device:<id>`. */
function _tags(record: BagtowerRecord): string[] {
  const tags = Object.entries(record.meta.tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}`);
  if (record.deviceId !== undefined) tags.push(`device:${record.deviceId}`);
  return tags;
}

/**
 * Several records → one series per (metric, host, tags), points from every record in the order
 * given, so a spool flush of N records is one request instead of N.
 */
export function encodeDatadog(records: BagtowerRecord[], _options: EncodeOptions): Encoded {
  const series = new Map<string, DatadogSeries>();
  for (const record of records) {
    const host = recordHost(record);
    const tags = _tags(record);
    for (const point of numericPoints(record)) {
      const metric = datadogMetricName(point);
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
