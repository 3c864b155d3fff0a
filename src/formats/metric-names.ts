// The one naming of a record's numbers as metrics (docs/METRICS.md): every numeric wire format
// (Prometheus exposition and remote write, Influx lines, Datadog series) takes its names, units and
// labels from here, and serve's ingest reads bagtower's own lines and series back through the same
// table, so `bagtower_network_receive_bytes_total{interface="wlan0"}` is one series whichever path
// carried it into VictoriaMetrics, Prometheus or serve.
import type { BagtowerRecord, ItemType } from "../record/schema.ts";
import { numericPoints } from "./flatten.ts";

/**
 * One metric of a built-in item. `key` is undefined for a scalar item, a literal for one fixed
 * key (`1m` of load), or a template with one `{label}` placeholder that matches the rest of the
 * key (`{interface}.bytes_sent`: `eth0.100.bytes_sent` → interface="eth0.100").
 */
export interface MetricRule {
  item: string;
  key?: string;
  /** Without the `bagtower_` prefix: the Influx field and the Datadog name after `bagtower.`. */
  name: string;
  /** Labels every sample of the rule carries (`state="listen"`), besides the placeholder's. */
  labels?: Record<string, string>;
  /** The item's type, restored on ingest. */
  type: Exclude<ItemType, "string">;
  /** The metric's unit, for docs/METRICS.md and Grafana. */
  unit: string;
  /** metric value = item value × scale (MHz → Hz, ms → s). */
  scale?: number;
  help: string;
}

/** A record's numeric value under its metric name, before a wire format adds device, host and tags. */
export interface MetricSeries {
  /** Without the `bagtower_` prefix. */
  name: string;
  /** The labels that came from the item's key, in rule order. */
  labels: [string, string][];
  value: number;
  kind: "gauge" | "counter";
  /** Influx's integer field type: counts, bytes and counters that no scale made fractional. */
  integer: boolean;
  help: string;
}

export const METRIC_PREFIX = "bagtower_";

/** The label of an unknown item's key (a third party's object, a key a newer agent added). */
export const GENERIC_KEY_LABEL = "key";

const _fixed = (item: string, type: MetricRule["type"], unit: (name: string) => string, keys: [string, string, string][]): MetricRule[] =>
  keys.map(([key, name, help]) => ({ item, key, name, type, unit: unit(name), help }));
const _bytesOrPackets = (name: string) => (name.includes("packets") ? "packets" : "bytes");

const _POWER_FLAGS = [
  ["under_voltage", "under-voltage now"],
  ["freq_capped", "ARM frequency capped now"],
  ["throttled", "throttled now"],
  ["soft_temp_limit", "soft temperature limit active now"],
] as const;

export const METRIC_RULES: readonly MetricRule[] = [
  { item: "cpu", name: "cpu_percent", type: "percent", unit: "percent", help: "CPU busy, percent of all CPUs" },
  { item: "cpu_per_cpu", key: "{cpu}", name: "cpu_per_cpu_percent", type: "percent", unit: "percent", help: "CPU busy per CPU" },
  { item: "memory", name: "memory_percent", type: "percent", unit: "percent", help: "memory in use, (total − available) / total" },
  { item: "diskusage", name: "diskusage_percent", type: "percent", unit: "percent", help: "space used on /" },
  ...(["established", "closing", "close", "listen"] as const).map(
    (state): MetricRule => ({ item: "sockets_info", key: state === "established" ? "nb_established" : `nb_sockets_${state}`, name: "tcp_sockets", labels: { state }, type: "count", unit: "sockets", help: "TCP sockets by state" }),
  ),
  ..._fixed("load", "number", () => "runnable tasks", [
    ["1m", "load1", "load average over 1 minute"],
    ["5m", "load5", "load average over 5 minutes"],
    ["15m", "load15", "load average over 15 minutes"],
  ]),
  { item: "uptime", name: "uptime_seconds", type: "seconds", unit: "seconds", help: "time since boot" },
  ..._fixed("memory_bytes", "bytes", () => "bytes", [
    ["total", "memory_total_bytes", "MemTotal"],
    ["available", "memory_available_bytes", "MemAvailable"],
    ["used", "memory_used_bytes", "MemTotal − MemAvailable"],
    ["free", "memory_free_bytes", "MemFree"],
  ]),
  { item: "temperature", key: "{sensor}", name: "temperature_celsius", type: "celsius", unit: "°C", help: "temperature per thermal zone or hwmon sensor" },
  { item: "cpu_frequency", name: "cpu_frequency_hertz", type: "mhz", unit: "Hz", scale: 1e6, help: "mean CPU clock" },
  ..._fixed("network", "counter", _bytesOrPackets, [
    ["bytes_sent", "network_all_transmit_bytes_total", "bytes sent, all interfaces but lo and bond or bridge members"],
    ["bytes_received", "network_all_receive_bytes_total", "bytes received, all interfaces but lo and bond or bridge members"],
    ["packets_sent", "network_all_transmit_packets_total", "packets sent, all interfaces but lo and bond or bridge members"],
    ["packets_received", "network_all_receive_packets_total", "packets received, all interfaces but lo and bond or bridge members"],
  ]),
  { item: "wifi", key: "rssi_dbm", name: "wifi_signal_dbm", type: "dbm", unit: "dBm", help: "WiFi signal level" },
  { item: "wifi", key: "signal_quality_percent", name: "wifi_link_quality_percent", type: "dbm", unit: "percent", help: "WiFi link quality, link / 70" },
  { item: "filesystems", key: "{mountpoint}", name: "filesystem_used_percent", type: "percent", unit: "percent", help: "space used per filesystem, as df counts it" },
  { item: "battery", key: "percent", name: "battery_charge_percent", type: "percent", unit: "percent", help: "battery charge" },
  { item: "battery", key: "health_percent", name: "battery_health_percent", type: "percent", unit: "percent", help: "battery full charge / design capacity" },
  { item: "processes", name: "processes", type: "count", unit: "processes", help: "processes" },
  ..._POWER_FLAGS.flatMap(([flag, help]): MetricRule[] => [
    { item: "power", key: flag, name: `power_${flag}`, type: "number", unit: "0/1", help: `Raspberry Pi firmware: ${help}` },
    { item: "power", key: `${flag}_since_boot`, name: `power_${flag}_since_boot`, type: "number", unit: "0/1", help: `Raspberry Pi firmware: ${help.replace(" now", "")} since boot` },
  ]),
  { item: "power", key: "under_voltage_alarm", name: "power_under_voltage_alarm", type: "number", unit: "0/1", help: "Raspberry Pi rpi_volt hwmon: under-voltage alarm latched" },
  { item: "gpu", key: "{gpu}.load", name: "gpu_busy_percent", type: "number", unit: "percent", help: "GPU busy" },
  { item: "gpu", key: "{gpu}.mhz", name: "gpu_frequency_hertz", type: "number", unit: "Hz", scale: 1e6, help: "GPU clock" },
  { item: "gpu", key: "{gpu}.celsius", name: "gpu_temperature_celsius", type: "number", unit: "°C", help: "GPU temperature" },
  // One name for both cell types: promtool reads a `_b_` in a name as an abbreviated unit (bytes).
  { item: "storage_health", key: "{disk}.wear_a", name: "storage_life_used_percent", labels: { type: "a" }, type: "percent", unit: "percent", help: "eMMC life used by cell type (upper bound of the JEDEC estimate)" },
  { item: "storage_health", key: "{disk}.wear_b", name: "storage_life_used_percent", labels: { type: "b" }, type: "percent", unit: "percent", help: "eMMC life used by cell type (upper bound of the JEDEC estimate)" },
  { item: "storage_health", key: "{disk}.pre_eol", name: "storage_pre_eol", type: "percent", unit: "level 1–3", help: "eMMC pre-EOL: 1 normal, 2 warning, 3 urgent" },
  { item: "disk_io", key: "{disk}.read_bytes", name: "disk_read_bytes_total", type: "counter", unit: "bytes", help: "bytes read per disk" },
  { item: "disk_io", key: "{disk}.written_bytes", name: "disk_written_bytes_total", type: "counter", unit: "bytes", help: "bytes written per disk" },
  { item: "disk_io", key: "{disk}.io_ms", name: "disk_io_time_seconds_total", type: "counter", unit: "seconds", scale: 0.001, help: "time with I/O in flight per disk (its rate is the busy fraction)" },
  { item: "containers", key: "{container}.cpu_percent", name: "container_cpu_percent", type: "number", unit: "percent of one CPU", help: "container CPU over the push window" },
  { item: "containers", key: "{container}.memory_bytes", name: "container_memory_usage_bytes", type: "number", unit: "bytes", help: "container memory.current" },
  { item: "containers", key: "{container}.memory_max_bytes", name: "container_memory_limit_bytes", type: "number", unit: "bytes", help: "container memory.max" },
  ..._fixed("network_interfaces", "counter", _bytesOrPackets, [
    ["{interface}.bytes_sent", "network_transmit_bytes_total", "bytes sent per interface"],
    ["{interface}.bytes_received", "network_receive_bytes_total", "bytes received per interface"],
    ["{interface}.packets_sent", "network_transmit_packets_total", "packets sent per interface"],
    ["{interface}.packets_received", "network_receive_packets_total", "packets received per interface"],
  ]),
];

interface _Compiled {
  rule: MetricRule;
  /** The placeholder's label, when the key has one. */
  label?: string;
  prefix: string;
  suffix: string;
}

function _compile(rule: MetricRule): _Compiled {
  const match = rule.key === undefined ? null : /^(.*)\{([a-z_]+)\}(.*)$/.exec(rule.key);
  if (match === null) return { rule, prefix: rule.key ?? "", suffix: "" };
  return { rule, label: match[2], prefix: match[1]!, suffix: match[3]! };
}

const _BY_ITEM = new Map<string, _Compiled[]>();
const _BY_NAME = new Map<string, _Compiled[]>();
for (const compiled of METRIC_RULES.map(_compile)) {
  _BY_ITEM.set(compiled.rule.item, [...(_BY_ITEM.get(compiled.rule.item) ?? []), compiled]);
  _BY_NAME.set(compiled.rule.name, [...(_BY_NAME.get(compiled.rule.name) ?? []), compiled]);
}

/** The rule an item's key falls under and the placeholder's value, or undefined. */
function _ruleOf(id: string, key: string | undefined): { compiled: _Compiled; captured?: string } | undefined {
  for (const compiled of _BY_ITEM.get(id) ?? []) {
    const { rule, label, prefix, suffix } = compiled;
    if (rule.key === undefined) {
      if (key === undefined) return { compiled };
      continue;
    }
    if (key === undefined) continue;
    if (label === undefined) {
      if (key === rule.key) return { compiled };
      continue;
    }
    if (key.length > prefix.length + suffix.length && key.startsWith(prefix) && key.endsWith(suffix)) return { compiled, captured: key.slice(prefix.length, key.length - suffix.length) };
  }
  return undefined;
}

/** Unit suffixes of the Prometheus naming guide for an item no rule names, by its type. */
const _GENERIC_SUFFIX: Partial<Record<MetricRule["type"], string>> = {
  percent: "_percent",
  bytes: "_bytes",
  celsius: "_celsius",
  seconds: "_seconds",
  mhz: "_mhz",
  dbm: "_dbm",
  counter: "_total",
};

const _INTEGER_TYPES = new Set<MetricRule["type"]>(["count", "bytes", "counter"]);

/** A metric name part: lower case, digits and `_`, not starting with a digit. */
function _metricNamePart(text: string): string {
  const name = text.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** `<id>` plus the unit suffix of its type, unless the id already ends with it. */
function _genericName(id: string, type: MetricRule["type"]): string {
  const base = _metricNamePart(id);
  const suffix = _GENERIC_SUFFIX[type];
  return suffix === undefined || base.endsWith(suffix) ? base : `${base}${suffix}`;
}

function _scaled(value: number, scale: number | undefined): number {
  // 15 significant digits drop the binary noise of the product (412880 × 0.001 = 412.88).
  return scale === undefined ? value : Number((value * scale).toPrecision(15));
}

/**
 * Every finite number of a record as a metric, in record order. A built-in item's key goes into
 * the label its rule names; a key no rule knows (a third party's item, a key from a newer agent)
 * goes into `key` under `<id>` plus its type's unit suffix.
 */
export function recordSeries(record: BagtowerRecord): MetricSeries[] {
  return numericPoints(record).map((point): MetricSeries => {
    const found = _ruleOf(point.id, point.key);
    if (found === undefined) {
      return {
        name: _genericName(point.id, point.type),
        labels: point.key === undefined ? [] : [[GENERIC_KEY_LABEL, point.key]],
        value: point.value,
        kind: point.type === "counter" ? "counter" : "gauge",
        integer: _INTEGER_TYPES.has(point.type) || point.id === "processes",
        help: `bagtower item ${point.id} (${point.type})`,
      };
    }
    const { rule, label } = found.compiled;
    const labels: [string, string][] = Object.entries(rule.labels ?? {});
    if (label !== undefined && found.captured !== undefined) labels.unshift([label, found.captured]);
    return {
      name: rule.name,
      labels,
      value: _scaled(point.value, rule.scale),
      kind: rule.type === "counter" ? "counter" : "gauge",
      integer: rule.scale === undefined && _INTEGER_TYPES.has(rule.type),
      help: `${rule.help} (${rule.unit}; item ${rule.item})`,
    };
  });
}

/** An item value read back from a metric: what ingest stores. */
export interface SeriesItem {
  id: string;
  key?: string;
  type: MetricRule["type"];
  value: number;
  /** The labels that made the key, which are not the record's labels. */
  keyLabels: string[];
}

/**
 * The built-in item a metric of bagtower's own sinks came from (the inverse of recordSeries), or
 * undefined when no rule has this name and these labels.
 */
export function seriesItem(name: string, labels: Record<string, string>, value: number): SeriesItem | undefined {
  for (const { rule, label, prefix, suffix } of _BY_NAME.get(name) ?? []) {
    const fixed = Object.entries(rule.labels ?? {});
    if (!fixed.every(([k, v]) => labels[k] === v)) continue;
    const keyLabels = fixed.map(([k]) => k);
    let key = rule.key;
    if (label !== undefined) {
      const captured = labels[label];
      if (captured === undefined || captured === "") continue;
      key = `${prefix}${captured}${suffix}`;
      keyLabels.push(label);
    }
    return { id: rule.item, key, type: rule.type, value: rule.scale === undefined ? value : _scaled(value, 1 / rule.scale), keyLabels };
  }
  return undefined;
}
