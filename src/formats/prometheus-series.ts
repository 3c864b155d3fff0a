// A record as Prometheus series: the one naming of SPEC §7 that the text exposition (Pushgateway,
// textfile collector, serve's /metrics) and remote write share, so a query written against one
// path selects the same series through the other.
import type { BagtowerRecord } from "../record/schema.ts";
import { numericPoints, type NumericPoint } from "./flatten.ts";

/** One sample: a family name, its labels in order, the value and what the family is. */
export interface PrometheusSample {
  name: string;
  labels: [string, string][];
  value: number;
  type: "gauge" | "counter";
  help: string;
}

/** Unit suffixes of the Prometheus naming guide, by item type; `count` and `number` have none. */
const _UNIT_SUFFIX: Partial<Record<NumericPoint["type"], string>> = {
  percent: "_percent",
  bytes: "_bytes",
  celsius: "_celsius",
  seconds: "_seconds",
  mhz: "_mhz",
  dbm: "_dbm",
  counter: "_total",
};

/**
 * The label that carries an array index or object key. Keys go in a label, not in the name, so
 * one family holds one item (`sum by (host)` over all CPUs works) and a new sensor or mount is a
 * new series, not a new metric name.
 */
const _KEY_LABEL: Record<string, string> = {
  cpu_per_cpu: "cpu",
  load: "window",
  temperature: "sensor",
  filesystems: "mountpoint",
  memory_bytes: "kind",
  network: "kind",
  sockets_info: "state",
  wifi: "key",
  battery: "key",
};

/**
 * Labels a config tag may not take: the ones set here, and the Pushgateway grouping labels
 * (a pushed sample whose job/instance differs from the URL's grouping key is refused).
 */
const _RESERVED_LABELS = new Set(["device", "host", "job", "instance"]);

function _metricName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_]/g, "_");
}

function _labelName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** `bagtower_<id>` plus the unit suffix of its type, unless the id already ends with it (`memory_bytes`). */
export function prometheusFamilyName(point: Pick<NumericPoint, "id" | "type">): string {
  const base = `bagtower_${_metricName(point.id)}`;
  const suffix = _UNIT_SUFFIX[point.type];
  return suffix === undefined || base.endsWith(suffix) ? base : `${base}${suffix}`;
}

export function prometheusKeyLabel(id: string): string {
  return _KEY_LABEL[id] ?? "key";
}

/**
 * Every finite number of a record as a sample, in record order. Labels: the key label first, then
 * `device` and `host`, then the record's tags sorted by name (a tag never replaces one set here).
 * Two samples may share a name with different types or the same labels; the consumer decides
 * which to keep (an exposition keeps the first).
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

  const samples: PrometheusSample[] = [];
  for (const point of numericPoints(record)) {
    const keyLabel = point.key === undefined ? undefined : prometheusKeyLabel(point.id);
    const labels: [string, string][] = [];
    if (keyLabel !== undefined && point.key !== undefined) labels.push([keyLabel, point.key]);
    labels.push(...common);
    for (const tag of tags) if (tag[0] !== keyLabel && !labels.some(([k]) => k === tag[0])) labels.push(tag);
    samples.push({
      name: prometheusFamilyName(point),
      labels,
      value: point.value,
      type: point.type === "counter" ? "counter" : "gauge",
      help: `bagtower item ${point.id} (${point.type})`,
    });
  }
  return samples;
}
