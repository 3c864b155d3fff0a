// GET /metrics: every device's latest numeric values (so Prometheus or VictoriaMetrics can scrape
// the fleet) and the receiver's own counters, in the text exposition format 0.0.4.
import { createExposition, escapeLabelValue } from "../formats/prometheus.ts";
import type { Item } from "../record/schema.ts";
import type { AlertSeverity } from "./alerts/transition.ts";
import type { Store } from "./store.ts";

const _BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface ServeCounters {
  request(route: string, status: number): void;
  ingested(accepted: number, duplicates: number, seconds: number): void;
  /** A request refused by a limit or cap (limits.ts names them). */
  refused(limit: string): void;
  text(): string;
}

export function createCounters(): ServeCounters {
  const requests = new Map<string, number>();
  const refused = new Map<string, number>();
  let records = 0;
  let duplicates = 0;
  let rejected = 0;
  const buckets = new Array<number>(_BUCKETS.length).fill(0);
  let count = 0;
  let sum = 0;
  return {
    request(route, status) {
      const key = `${route}\u0000${status}`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
      if (status >= 400 && status < 500 && route.startsWith("POST ")) rejected++;
    },
    refused(limit) {
      refused.set(limit, (refused.get(limit) ?? 0) + 1);
    },
    ingested(accepted, dup, seconds) {
      records += accepted;
      duplicates += dup;
      count++;
      sum += seconds;
      _BUCKETS.forEach((le, i) => {
        if (seconds <= le) buckets[i]!++;
      });
    },
    text() {
      const lines = [
        "# HELP bagtower_serve_requests_total HTTP requests answered, by route and status code",
        "# TYPE bagtower_serve_requests_total counter",
        ...[...requests.entries()].map(([key, n]) => {
          const [route, code] = key.split("\u0000");
          return `bagtower_serve_requests_total{route="${route}",code="${code}"} ${n}`;
        }),
        "# HELP bagtower_serve_records_total records stored",
        "# TYPE bagtower_serve_records_total counter",
        `bagtower_serve_records_total ${records}`,
        "# HELP bagtower_serve_duplicates_total records acknowledged again without being stored (recordId seen before)",
        "# TYPE bagtower_serve_duplicates_total counter",
        `bagtower_serve_duplicates_total ${duplicates}`,
        "# HELP bagtower_serve_rejected_total ingest requests refused with a 4xx",
        "# TYPE bagtower_serve_rejected_total counter",
        `bagtower_serve_rejected_total ${rejected}`,
        "# HELP bagtower_serve_refused_total requests and /ws clients refused by a limit or cardinality cap, by limit (docs/LIMITS.md)",
        "# TYPE bagtower_serve_refused_total counter",
        ...[...refused.entries()].map(([limit, n]) => `bagtower_serve_refused_total{limit="${limit}"} ${n}`),
        "# HELP bagtower_serve_ingest_duration_seconds time from request to committed acknowledgement",
        "# TYPE bagtower_serve_ingest_duration_seconds histogram",
        ..._BUCKETS.map((le, i) => `bagtower_serve_ingest_duration_seconds_bucket{le="${le}"} ${buckets[i]}`),
        `bagtower_serve_ingest_duration_seconds_bucket{le="+Inf"} ${count}`,
        `bagtower_serve_ingest_duration_seconds_sum ${sum}`,
        `bagtower_serve_ingest_duration_seconds_count ${count}`,
      ];
      return `${lines.join("\n")}\n`;
    },
  };
}

/** Devices per page while /metrics is built: between pages the event loop serves other requests. */
const _METRICS_PAGE = 500;

/**
 * Device values, device status, alert count and the receiver's counters, as one exposition. Built a
 * page of devices at a time with a turn of the event loop in between: at the device cap (10,000
 * devices) the exposition takes about a second to build, and ingest and /healthz must not wait for it.
 */
export async function renderMetrics(store: Store, alerts: { firingCounts(): Record<AlertSeverity, number> }, counters: ServeCounters, wsClients = 0): Promise<string> {
  const exposition = createExposition();
  const up: string[] = [];
  const lastSeen: string[] = [];
  let count = 0;
  for (let after = ""; ; ) {
    const devices = store.numericLatestPage(_METRICS_PAGE, after);
    for (const { device, items } of devices) {
      exposition.add({
        deviceId: device.id,
        unixTimestamp: device.lastSeen,
        UTCTimestamp: new Date(device.lastSeen * 1000).toISOString(),
        data: items.map((i) => ({ id: i.id, type: i.type, val: i.latest }) as Item),
        meta: { recordId: "latest-values", machineId: device.machineId ?? device.id, hostname: device.hostname ?? device.id, bootId: "", seq: 0, agent: "", tags: device.labels, errors: [] },
      });
      up.push(`bagtower_device_up{device="${escapeLabelValue(device.id)}"} ${device.status === "UP" ? 1 : 0}`);
      lastSeen.push(`bagtower_device_last_seen_seconds{device="${escapeLabelValue(device.id)}"} ${device.lastSeen}`);
    }
    count += devices.length;
    if (devices.length < _METRICS_PAGE) break;
    after = devices.at(-1)!.device.id;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const firing = alerts.firingCounts();
  const own = [
    "# HELP bagtower_device_up 1 while the device reports within twice its period, else 0",
    "# TYPE bagtower_device_up gauge",
    ...up,
    "# HELP bagtower_device_last_seen_seconds when the device's last record arrived (unix seconds)",
    "# TYPE bagtower_device_last_seen_seconds gauge",
    ...lastSeen,
    "# HELP bagtower_serve_devices devices known to the receiver",
    "# TYPE bagtower_serve_devices gauge",
    `bagtower_serve_devices ${count}`,
    "# HELP bagtower_serve_alerts_active alerts firing now",
    "# TYPE bagtower_serve_alerts_active gauge",
    `bagtower_serve_alerts_active ${firing.info + firing.warning + firing.critical}`,
    "# HELP bagtower_serve_alerts_firing alerts firing now, by severity",
    "# TYPE bagtower_serve_alerts_firing gauge",
    ...Object.entries(firing).map(([severity, n]) => `bagtower_serve_alerts_firing{severity="${severity}"} ${n}`),
    "# HELP bagtower_serve_ws_clients live /ws clients",
    "# TYPE bagtower_serve_ws_clients gauge",
    `bagtower_serve_ws_clients ${wsClients}`,
  ];
  return `${exposition.text()}${own.join("\n")}\n${counters.text()}`;
}
