// How the dashboard prints times and values: pure functions of their input (and of the browser's
// locale for dates and compact numbers), tested in test/unit/dashboard-format.test.ts.

const compactFmt = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** Unix seconds (the series) or an ISO text (the API's timestamps) → milliseconds. */
export const toMs = (time) => (typeof time === "number" ? time * 1000 : Date.parse(time));

export function relTime(time, nowMs = Date.now()) {
  const ms = toMs(time);
  if (!Number.isFinite(ms)) return "never";
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (s < 1) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function absTime(time) {
  const ms = toMs(time);
  return Number.isFinite(ms) ? dateTimeFmt.format(ms) : "";
}

export function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatBytes(value) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  let v = Math.abs(value);
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${value < 0 ? "-" : ""}${round(v, v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatSeconds(value) {
  const s = Math.abs(value);
  if (s < 120) return `${round(value, 1)} s`;
  if (s < 7200) return `${round(value / 60, 1)} min`;
  if (s < 172800) return `${round(value / 3600, 1)} h`;
  return `${round(value / 86400, 1)} d`;
}

export function formatCompact(value) {
  return Math.abs(value) < 1000 ? String(round(value, Math.abs(value) < 10 ? 2 : 1)) : compactFmt.format(value);
}

/** How to print one value of an item of this type (`rate`: a per-second rate of a counter). */
export function valueFormatter(type, rate, key) {
  const perSecond = rate ? "/s" : "";
  // An object item mixes units at times (wifi: rssi_dbm and signal_quality_percent): the key wins.
  if (/bytes/.test(key || "") && (type === "counter" || type === "bytes")) return (v) => formatBytes(v) + perSecond;
  if (/percent/.test(key || "") && !rate) return (v) => `${round(v, 1)} %`;
  if (/dbm/.test(key || "") && !rate) return (v) => `${round(v, 0)} dBm`;
  if (/packets/.test(key || "")) return (v) => `${formatCompact(v)} packets${perSecond}`;
  switch (type) {
    case "percent":
      return (v) => `${round(v, 1)} %`;
    case "celsius":
      return (v) => `${round(v, 1)} °C`;
    case "bytes":
      return (v) => formatBytes(v) + perSecond;
    case "seconds":
      return formatSeconds;
    case "dbm":
      return (v) => `${round(v, 0)} dBm`;
    case "mhz":
      return (v) => `${round(v, 0)} MHz`;
    default:
      return (v) => formatCompact(v) + perSecond;
  }
}

/** The shorter tick labels of a graph's y axis. */
export function axisFormatter(type, rate) {
  switch (type) {
    case "percent":
      return (v) => `${round(v, 1)}%`;
    case "celsius":
      return (v) => `${round(v, 1)}°`;
    case "bytes":
      return (v) => formatBytes(v) + (rate ? "/s" : "");
    case "seconds":
      return formatSeconds;
    default:
      return (v) => formatCompact(v);
  }
}

const UNIT_LABEL = { percent: "%", celsius: "°C", bytes: "bytes", seconds: "seconds", dbm: "dBm", mhz: "MHz", count: "count", counter: "/s" };

/** The unit shown beside a graph's title (a counter is drawn as its rate per second); else the type's name. */
export function unitLabel(type) {
  return UNIT_LABEL[type] || type;
}

/** The value the fleet shows for a latest reading: objects (temperature zones) show their maximum. */
export function headline(value) {
  if (typeof value === "number") return value;
  if (value && typeof value === "object") {
    const numbers = Object.values(value).filter((v) => typeof v === "number");
    if (numbers.length) return Math.max(...numbers);
  }
  return undefined;
}

/**
 * The unit of one key of an item, where its name says more than the item's type: network's
 * bytes_received and packets_received, wifi's rssi_dbm and signal_quality_percent.
 */
export function keyUnit(type, key) {
  if (/bytes/.test(key || "") && (type === "counter" || type === "bytes")) return "bytes";
  if (/packets/.test(key || "")) return "packets";
  if (/percent/.test(key || "")) return "percent";
  if (/dbm/.test(key || "")) return "dbm";
  // disk_io's io_ms: milliseconds spent on I/O, beside its bytes.
  if (/(^|_)ms$/.test(key || "")) return "ms";
  return type;
}

/**
 * The y axes of a graph: one, or two when its keys are of exactly two units (bytes and packets
 * on one scale would flatten the packets to the floor). `scaleOf[i]` is key i's scale ("y" or
 * "y2"); each axis has its unit's label ("bytes/s") and its tick formatter.
 */
export function unitAxes(type, rate, keys) {
  const units = keys.map((key) => keyUnit(type, key));
  const distinct = [...new Set(units)];
  if (distinct.length !== 2) return { scaleOf: keys.map(() => "y"), axes: [{ scale: "y", unit: type, label: "", format: axisFormatter(type, rate) }] };
  const perSecond = rate ? "/s" : "";
  const axis = (unit, scale) => ({
    scale,
    unit,
    label: `${UNIT_NAME[unit] || unit}${perSecond}`,
    format: unit === "bytes" ? (v) => formatBytes(v) + perSecond : unit === "percent" ? (v) => `${round(v, 1)}%` : (v) => formatCompact(v),
  });
  return { scaleOf: units.map((unit) => (unit === distinct[0] ? "y" : "y2")), axes: [axis(distinct[0], "y"), axis(distinct[1], "y2")] };
}

const UNIT_NAME = { bytes: "bytes", packets: "packets", percent: "%", dbm: "dBm", celsius: "°C", ms: "ms" };
