// Prometheus text exposition format 0.0.4 (SPEC §7; prometheus.io "Exposition formats", Pushgateway README).
import type { BagtowerRecord } from "../record/schema.ts";
import { numericPoints, type NumericPoint } from "./flatten.ts";
import type { EncodeOptions, Encoded } from "./types.ts";

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

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** HELP text escapes backslash and line feed. */
function _escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
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

interface _Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  samples: string[];
  labelSets: Set<string>;
}

function _labelText(labels: [string, string][]): string {
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** The record with the largest unixTimestamp; the later one wins a tie (spool order is oldest first). */
function _newest(records: BagtowerRecord[]): BagtowerRecord | undefined {
  let newest: BagtowerRecord | undefined;
  for (const record of records) if (newest === undefined || record.unixTimestamp >= newest.unixTimestamp) newest = record;
  return newest;
}

/**
 * Only the NEWEST record is written: a Pushgateway group keeps one value per series, and two
 * samples of the same series in one exposition are invalid, so older records have nothing to add.
 * Samples carry no timestamp, because the Pushgateway refuses pushed timestamps.
 */
export function encodePrometheus(records: BagtowerRecord[], _options: EncodeOptions): Encoded {
  const newest = _newest(records);
  return { body: prometheusExposition(newest ? [newest] : []), contentType: "text/plain; version=0.0.4; charset=utf-8", headers: {} };
}

/**
 * The exposition of several records, one per device (serve's /metrics): families are shared, so
 * each has one HELP and one TYPE line whatever the number of devices.
 */
export function prometheusExposition(records: BagtowerRecord[]): string {
  const exposition = createExposition();
  for (const record of records) exposition.add(record);
  return exposition.text();
}

/** The same exposition built record by record: serve's /metrics adds a page of devices at a time, yielding in between. */
export function createExposition(): { add(record: BagtowerRecord): void; text(): string } {
  const families = new Map<string, _Family>();

  const add = (record: BagtowerRecord) => {
    const common: [string, string][] = [
      ["device", record.deviceId ?? record.meta.machineId],
      ["host", record.meta.hostname],
    ];
    const tags: [string, string][] = Object.entries(record.meta.tags)
      .map(([k, v]): [string, string] => [_labelName(k), v])
      // `__` names are reserved for Prometheus itself.
      .filter(([k]) => k !== "" && !k.startsWith("__") && !_RESERVED_LABELS.has(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

    for (const point of numericPoints(record)) {
      const name = prometheusFamilyName(point);
      const type = point.type === "counter" ? "counter" : "gauge";
      let family = families.get(name);
      if (family === undefined) {
        family = { name, type, help: `bagtower item ${point.id} (${point.type})`, samples: [], labelSets: new Set() };
        families.set(name, family);
      }
      // Two items that land on one name with different types cannot share a family; keep the first.
      if (family.type !== type) continue;

      const keyLabel = point.key === undefined ? undefined : prometheusKeyLabel(point.id);
      const labels: [string, string][] = [];
      if (keyLabel !== undefined && point.key !== undefined) labels.push([keyLabel, point.key]);
      labels.push(...common);
      for (const tag of tags) if (tag[0] !== keyLabel && !labels.some(([k]) => k === tag[0])) labels.push(tag);

      const text = _labelText(labels);
      // A duplicate series (same name and labels) makes the whole exposition invalid.
      if (family.labelSets.has(text)) continue;
      family.labelSets.add(text);
      family.samples.push(`${name}${text} ${point.value}`);
    }
  };

  const text = () => {
    const lines: string[] = [];
    for (const family of families.values()) {
      if (family.samples.length === 0) continue;
      lines.push(`# HELP ${family.name} ${_escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`, ...family.samples);
    }
    return lines.map((line) => `${line}\n`).join("");
  };
  return { add, text };
}

/** node_exporter's textfile collector reads the same format: `collect --format prometheus > x.prom`. */
export const encodePrometheusTextfile: typeof encodePrometheus = encodePrometheus;
