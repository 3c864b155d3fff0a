// The names of docs/METRICS.md in a real VictoriaMetrics: the Influx lines and the Prometheus
// exposition of every fixture device land under the same names and labels, PromQL selects them
// (`bagtower_filesystem_used_percent{mountpoint="/"}`, which `filesystems_/` never was), and every
// expression of the Grafana dashboard returns data. Skipped locally without the Debian package;
// in CI a missing package fails.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeInflux } from "../../src/formats/influx.ts";
import { prometheusExposition } from "../../src/formats/prometheus.ts";
import type { BagtowerRecord } from "../../src/record/schema.ts";
import { startVictoriaMetrics, vmExport, type Backend } from "../helpers/backends.ts";
import { fixtureRecords } from "../helpers/fixture-records.ts";
import { promqlMetricNames } from "../helpers/promql.ts";
import { skipWithout } from "../helpers/prereq.ts";

const TIMEOUT = 60_000;
const skip = skipWithout("victoria-metrics");
const OPTIONS = { pattooAgentId: "a".repeat(64), pollingIntervalMs: 600_000 };
// Two pushes a minute apart, the later one a minute ago: rate() has two points, the counters grew.
const T2_S = Math.floor(Date.now() / 1000) - 60;
const T1_S = T2_S - 60;

/** The record moved to `ts`, under `<device>-<path>`, every counter grown by `grow`. */
function variant(record: BagtowerRecord, path: string, ts: number, grow: number): BagtowerRecord {
  const data = record.data.map((item) => {
    if (item.type !== "counter" || typeof item.val !== "object" || Array.isArray(item.val)) return item;
    return { ...item, val: Object.fromEntries(Object.entries(item.val).map(([k, v]) => [k, v + grow])) };
  });
  return { ...record, deviceId: `${record.deviceId}-${path}`, unixTimestamp: ts, UTCTimestamp: new Date(ts * 1000).toISOString(), data };
}

let vm: Backend | undefined;
let records: BagtowerRecord[] = [];

async function post(path: string, body: string): Promise<void> {
  const res = await fetch(`${vm!.url}${path}`, { method: "POST", body });
  expect({ path, status: res.status, body: res.ok ? "" : await res.text() }).toEqual({ path, status: 204, body: "" });
}

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${vm!.url}/api/v1/query?${new URLSearchParams({ query: expr, time: String(T2_S) })}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  expect({ expr, status: res.status, error: body.error }).toEqual({ expr, status: 200, error: undefined });
  return body.data.result;
}

beforeAll(async () => {
  if (skip) return;
  vm = await startVictoriaMetrics();
  records = await fixtureRecords(T2_S * 1000);
  for (const [ts, grow] of [[T1_S, 0], [T2_S, 6_000]] as const) {
    await post("/write?db=bagtower&precision=s", encodeInflux(records.map((r) => variant(r, "influx", ts, grow)), OPTIONS).body);
    // The exposition has no timestamps (the Pushgateway refuses them); VictoriaMetrics' import takes them, in ms.
    const exposition = records.map((r) => prometheusExposition([variant(r, "prom", ts, grow)])).join("");
    await post("/api/v1/import/prometheus", exposition.replace(/^([^#].*) (\S+)$/gm, `$1 $2 ${ts * 1000}`));
  }
  await fetch(`${vm.url}/internal/force_flush`);
}, TIMEOUT);

afterAll(async () => {
  await vm?.stop();
});

test.skipIf(skip)(
  "Influx lines and the Prometheus exposition make the same series in VictoriaMetrics: names, labels and values",
  async () => {
    const series = await vmExport(vm!, '{__name__=~"bagtower_.*"}');
    const byPath = (path: string) =>
      series
        .filter((s) => s.metric.device!.endsWith(`-${path}`))
        .map((s) => {
          const { db: _, device, ...labels } = s.metric;
          return JSON.stringify({ ...labels, device: device!.slice(0, -path.length - 1), values: s.values });
        })
        .sort();
    const influx = byPath("influx");
    expect(influx.length).toBeGreaterThan(300);
    expect(influx).toEqual(byPath("prom"));
    // No name carries a key: every one is in the table's form.
    for (const s of series) expect(s.metric.__name__).toMatch(/^bagtower_[a-z0-9_]+$/);
  },
  TIMEOUT,
);

test.skipIf(skip)(
  "PromQL selects a key by its label, the same way through either path",
  async () => {
    const root = await query('bagtower_filesystem_used_percent{mountpoint="/"}');
    expect(root.map((r) => [r.metric.device, Number(r.value[1])]).sort()).toEqual([
      ["laptop-1-influx", 50.8],
      ["laptop-1-prom", 50.8],
      ["pi4-1-influx", 31.2],
      ["pi4-1-prom", 31.2],
      ["server-1-influx", 16.7],
      ["server-1-prom", 16.7],
    ]);
    const wlan = await query('rate(bagtower_network_receive_bytes_total{interface="wlan0",device=~"pi4-1-.*"}[5m])');
    expect(wlan.map((r) => [r.metric.device, Number(r.value[1])]).sort()).toEqual([
      ["pi4-1-influx", 100],
      ["pi4-1-prom", 100],
    ]);
    // A unit per name: the WiFi dBm and percent are apart.
    expect((await query('bagtower_wifi_signal_dbm{device="pi4-1-influx"}')).map((r) => Number(r.value[1]))).toEqual([-53]);
    expect((await query('bagtower_wifi_link_quality_percent{device="pi4-1-influx"}')).map((r) => Number(r.value[1]))).toEqual([81.4]);
  },
  TIMEOUT,
);

test.skipIf(skip)(
  "every expression of the Grafana dashboard returns data, through either path",
  async () => {
    const dashboard = JSON.parse(readFileSync(join(import.meta.dir, "../../docs/grafana/bagtower-fleet.json"), "utf8"));
    const exprs = (dashboard.panels as { title: string; targets?: { expr: string }[] }[]).flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(15);
    for (const path of ["influx", "prom"]) {
      for (const { title, expr } of exprs) {
        const concrete = expr.replaceAll("$device", `.*-${path}`).replaceAll("$__rate_interval", "5m");
        const result = await query(concrete);
        expect({ title, expr: concrete, series: result.length > 0, names: promqlMetricNames(expr).length > 0 }).toEqual({ title, expr: concrete, series: true, names: true });
      }
    }
    // The device variable's query: label_values(bagtower_uptime_seconds, device).
    const res = await fetch(`${vm!.url}/api/v1/label/device/values?${new URLSearchParams({ "match[]": "bagtower_uptime_seconds", start: String(T1_S), end: String(T2_S) })}`);
    expect(((await res.json()) as { data: string[] }).data).toContain("pi4-1-influx");
  },
  TIMEOUT,
);
