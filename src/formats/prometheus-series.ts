// A record as Prometheus series: the naming of metric-names.ts (docs/METRICS.md) with the
// record's device, host and tags as labels, which the text exposition (Pushgateway, textfile
// collector, serve's /metrics) and remote write share, so a query written against one path
// selects the same series through the other.
import type { BagtowerRecord } from "../record/schema.ts";
import { METRIC_PREFIX, recordSeries } from "./metric-names.ts";

/** One sample: a family name, its labels in order, the value and what the family is. */
export interface PrometheusSample {
  name: string;
  labels: [string, string][];
  value: number;
  type: "gauge" | "counter";
  help: string;
}

/**
 * Labels a config tag may not take: the ones set here, and the Pushgateway grouping labels
 * (a pushed sample whose job/instance differs from the URL's grouping key is refused).
 */
const _RESERVED_LABELS = new Set(["device", "host", "job", "instance"]);

function _labelName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/**
 * Every finite number of a record as a sample, in record order. Labels: the ones of the item's
 * key first (`interface`, `mountpoint`, …), then `device` and `host`, then the record's tags
 * sorted by name (a tag never replaces one set here). Two samples may share a name with
 * different types or the same labels; the consumer decides which to keep (an exposition keeps
 * the first).
 */
export function prometheusSamples(record: BagtowerRecord): PrometheusSample[] {
  const common: [string, string][] = [
    ["device", record.deviceId ?? record.meta.machineId],
    ["host", record.meta.hostname],
  ];
  const tags: [string, string][] = Object.entries(record.meta.tags)
    .map(([k, v]): [string, string] => [_labelName(k), v])
    // `__` names are reserved for Prometheus itself.
    .filter(([k]) => k !== "" && !k.startsWith("__") && !_RESERVED_LABELS.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  return recordSeries(record).map((series): PrometheusSample => {
    const labels: [string, string][] = [...series.labels, ...common];
    for (const tag of tags) if (!labels.some(([k]) => k === tag[0])) labels.push(tag);
    return { name: `${METRIC_PREFIX}${series.name}`, labels, value: series.value, type: series.kind, help: series.help };
  });
}
