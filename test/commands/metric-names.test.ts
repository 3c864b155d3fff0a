// One naming of every number (docs/METRICS.md): the series every encoder writes for every fixture
// device read back as the items they came from, serve stores the same items whether they came as
// Influx lines or Datadog series, agents before the new names still map, and the doc and the
// Grafana dashboard name only series the encoders produce.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeDatadog } from "../../src/formats/datadog.ts";
import { numericPoints } from "../../src/formats/flatten.ts";
import { encodeInflux } from "../../src/formats/influx.ts";
import { METRIC_RULES, recordSeries, seriesItem } from "../../src/formats/metric-names.ts";
import { prometheusExposition } from "../../src/formats/prometheus.ts";
import { prometheusSamples } from "../../src/formats/prometheus-series.ts";
import { DEFAULT_LIMITS } from "../../src/serve/limits.ts";
import { wirePlans } from "../../src/sinks/wire.ts";
import type { BagtowerRecord } from "../../src/record/schema.ts";
import { tempDir } from "../helpers/context.ts";
import { fixtureRecords } from "../helpers/fixture-records.ts";
import { promqlMetricNames } from "../helpers/promql.ts";
import { INGEST_KEY, startTestServe } from "../helpers/serve.ts";
import { skipWithout } from "../helpers/prereq.ts";

const ROOT = join(import.meta.dir, "../..");
const NOW_MS = Date.UTC(2027, 0, 15, 12, 0, 0);
const records = await fixtureRecords(NOW_MS);
const OPTIONS = { pattooAgentId: "a".repeat(64), pollingIntervalMs: 600_000 };

describe("metric names", () => {
  test("every series of every fixture record reads back as its item, key and value", () => {
    let n = 0;
    for (const record of records) {
      const points = numericPoints(record);
      const series = recordSeries(record);
      expect(series).toHaveLength(points.length);
      series.forEach((s, i) => {
        const back = seriesItem(s.name, Object.fromEntries(s.labels), s.value);
        const keyLabels = [...(back?.keyLabels ?? [])].sort();
        expect({ device: record.deviceId, back: { ...back, keyLabels } }).toEqual({ device: record.deviceId, back: { id: points[i]!.id, key: points[i]!.key, type: points[i]!.type, value: points[i]!.value, keyLabels: s.labels.map(([k]) => k).sort() } });
        n++;
      });
    }
    expect(n).toBeGreaterThan(300);
  });

  test("every built-in numeric item of the fixtures has a rule: nothing falls to the generic `key` label", () => {
    const generic = records.flatMap((r) => recordSeries(r).filter((s) => s.labels.some(([k]) => k === "key")).map((s) => `${r.deviceId}: ${s.name}`));
    expect(generic).toEqual([]);
  });

  test("one unit and one type per name; names and labels are valid PromQL; counters end in _total", () => {
    const byName = new Map<string, Set<string>>();
    for (const rule of METRIC_RULES) {
      expect(rule.name).toMatch(/^[a-z][a-z0-9_]*$/);
      byName.set(rule.name, (byName.get(rule.name) ?? new Set()).add(`${rule.unit}/${rule.type}`));
      if (rule.type === "counter") expect(rule.name).toEndWith("_total");
    }
    for (const [name, units] of byName) expect({ name, units: units.size }).toEqual({ name, units: 1 });
    for (const record of records) for (const s of prometheusSamples(record)) for (const [label] of s.labels) expect(label).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
  });

  // promtool lints names too (counters end in _total, no non-base units, no type in the name).
  test.skipIf(skipWithout("prometheus"))("promtool accepts the exposition of every fixture device at once", () => {
    const check = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: Buffer.from(prometheusExposition(records)), stdout: "pipe", stderr: "pipe" });
    expect({ code: check.exitCode, out: check.stdout.toString() + check.stderr.toString() }).toEqual({ code: 0, out: "" });
  });

  test("docs/METRICS.md has a row for every rule, and names no series that does not exist", () => {
    const doc = readFileSync(join(ROOT, "docs/METRICS.md"), "utf8");
    for (const rule of METRIC_RULES) expect(doc).toContain(`\`bagtower_${rule.name}`);
    const produced = new Set([...METRIC_RULES.map((r) => `bagtower_${r.name}`)]);
    const named = new Set([...doc.matchAll(/`(bagtower_[a-z0-9_]+)/g)].map((m) => m[1]!).filter((n) => !n.startsWith("bagtower_serve_") && n !== "bagtower_device_up"));
    expect([...named].filter((n) => !produced.has(n))).toEqual([]);
  });
});

describe("the Grafana dashboard", () => {
  const dashboard = JSON.parse(readFileSync(join(ROOT, "docs/grafana/bagtower-fleet.json"), "utf8"));
  const panels = (dashboard.panels as { type: string; title: string; targets?: { expr: string }[]; panels?: unknown[] }[]).filter((p) => p.type !== "row");
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  test("a datasource variable and a device variable; every panel queries through them", () => {
    const vars = dashboard.templating.list as { name: string; type: string; query: unknown; datasource?: unknown }[];
    expect(vars.find((v) => v.name === "datasource")).toMatchObject({ type: "datasource", query: "prometheus" });
    expect(vars.find((v) => v.name === "device")).toMatchObject({ type: "query", datasource: { type: "prometheus", uid: "${datasource}" } });
    for (const panel of panels) {
      expect({ panel: panel.title, ds: (panel as { datasource?: unknown }).datasource }).toEqual({ panel: panel.title, ds: { type: "prometheus", uid: "${datasource}" } });
      for (const t of panel.targets ?? []) expect({ panel: panel.title, expr: t.expr }).toEqual({ panel: panel.title, expr: expect.stringContaining('device=~"$device"') });
    }
    const titles = panels.map((p) => p.title.toLowerCase()).join(" | ");
    for (const topic of ["cpu", "memory", "load", "temperature", "filesystem", "network", "wifi", "under-voltage"]) expect(titles).toContain(topic);
  });

  test("every expression names only series the encoders produce for the fixture devices", () => {
    const produced = new Set(records.flatMap((r) => prometheusSamples(r).map((s) => s.name)));
    const named = exprs.flatMap(promqlMetricNames);
    expect(named.length).toBeGreaterThanOrEqual(exprs.length);
    expect([...new Set(named)].filter((n) => !produced.has(n))).toEqual([]);
    const variables = (dashboard.templating.list as { query: unknown; definition?: string }[]).flatMap((v) => (typeof v.query === "object" && v.query !== null ? [(v.query as { query: string }).query] : []));
    expect(variables.flatMap(promqlMetricNames).filter((n) => !produced.has(n))).toEqual([]);
  });

  // promtool parses rule expressions with Prometheus' own PromQL parser (VictoriaMetrics' MetricsQL accepts more).
  test.skipIf(skipWithout("prometheus"))("every expression is valid PromQL, as Grafana would send it", () => {
    const { dir, cleanup } = tempDir("bagtower-rules-");
    try {
      const concrete = exprs.map((e) => e.replaceAll("$device", ".*").replaceAll("$__rate_interval", "5m"));
      const rules = `groups:\n  - name: dashboard\n    rules:\n${concrete.map((e, i) => `      - record: dashboard:expr${i}\n        expr: ${JSON.stringify(e)}\n`).join("")}`;
      writeFileSync(join(dir, "rules.yml"), rules);
      const check = Bun.spawnSync(["promtool", "check", "rules", join(dir, "rules.yml")], { stdout: "pipe", stderr: "pipe" });
      expect({ code: check.exitCode, out: check.stderr.toString() }).toEqual({ code: 0, out: "" });
      expect(check.stdout.toString()).toContain(`SUCCESS: ${concrete.length} rules found`);
    } finally {
      cleanup();
    }
  });

  test("the name parser finds metrics, not functions, labels or strings", () => {
    expect(promqlMetricNames('sum by (device) (rate(bagtower_network_receive_bytes_total{device=~"$device",interface!="bagtower_x"}[5m])) / bagtower_load1')).toEqual(["bagtower_network_receive_bytes_total", "bagtower_load1"]);
  });
});

describe("serve stores the items bagtower's own lines and series carried", () => {
  let serve: ReturnType<typeof startTestServe>;
  beforeEach(() => {
    serve = startTestServe();
    serve.clock.set(NOW_MS);
  });
  afterEach(() => serve.stop());

  const stored = async (id: string) => (await (await serve.get(`/api/devices/${id}`)).json()) as { device: { labels: Record<string, string> }; items: { id: string; type: string; latest: unknown }[] };
  const numeric = (record: BagtowerRecord) => Object.fromEntries(record.data.filter((i) => i.type !== "string").map((i) => [i.id, { type: i.type, latest: i.val }]));

  test.each([
    ["influx", (r: BagtowerRecord[]) => fetch(`${serve.url}/write?precision=s`, { method: "POST", body: encodeInflux(r, OPTIONS).body, headers: { Authorization: `Token ${INGEST_KEY}` } })],
    ["datadog", (r: BagtowerRecord[]) => fetch(`${serve.url}/api/v1/series`, { method: "POST", body: encodeDatadog(r, OPTIONS).body, headers: { "DD-API-KEY": INGEST_KEY } })],
  ] as const)("%s: every numeric item of every fixture device, with its type; the key labels are not device labels", async (_, send) => {
    const res = await send(records);
    expect(res.status).toBeLessThan(300);
    for (const record of records) {
      const detail = await stored(record.deviceId!);
      const items = Object.fromEntries(detail.items.map((i) => [i.id, { type: i.type, latest: i.latest }]));
      expect({ device: record.deviceId, items }).toEqual({ device: record.deviceId, items: numeric(record) });
      expect(detail.device.labels).toEqual({ site: "fixtures" });
    }
  });

  test("serve's /metrics shows the series the devices' own expositions have, after an influx push", async () => {
    expect((await fetch(`${serve.url}/write?precision=s`, { method: "POST", body: encodeInflux(records, OPTIONS).body, headers: { Authorization: `Token ${INGEST_KEY}` } })).status).toBe(204);
    // name{labels but host} → value; the host a receiver knows may differ from the device's hostname.
    const series = (text: string) =>
      new Map(
        text
          .split("\n")
          .filter((l) => /^bagtower_[a-z0-9_]+\{/.test(l) && !l.startsWith("bagtower_device_") && !l.startsWith("bagtower_serve_"))
          .map((l) => [l.slice(0, l.lastIndexOf(" ")).replace(/,?host="[^"]*"/, ""), Number(l.slice(l.lastIndexOf(" ") + 1))]),
      );
    const own = series(prometheusExposition(records));
    expect(own.size).toBeGreaterThan(300);
    expect(series(await (await serve.get("/metrics")).text())).toEqual(own);
  });

  test("a full influx batch of the largest fixture device fits serve's body limit", () => {
    const server = records.find((r) => r.deviceId === "server-1")!;
    const batch = wirePlans.influx.batch({ batchMax: null });
    const bytes = Buffer.byteLength(encodeInflux(Array.from({ length: batch }, () => server), OPTIONS).body);
    expect({ batch, fits: bytes <= DEFAULT_LIMITS.bodyBytes }).toEqual({ batch, fits: true });
  });

  test("lines and series of agents before the new names still map to their items", async () => {
    const line = "bagtower,host=old-host,device=old-1 cpu=12.5,cpu_per_cpu_0=3,cpu_per_cpu_1=4,filesystems_/=31.2,network_bytes_sent=5i 1800000000\n";
    expect((await fetch(`${serve.url}/write?precision=s`, { method: "POST", body: line, headers: { Authorization: `Token ${INGEST_KEY}` } })).status).toBe(204);
    const items = Object.fromEntries((await stored("old-1")).items.map((i) => [i.id, i.latest]));
    expect(items).toEqual({ cpu: 12.5, cpu_per_cpu: [3, 4], filesystems: { "/": 31.2 }, network: { bytes_sent: 5 } });
    const series = { series: [{ metric: "bagtower.network.bytes_sent.total", points: [[1800000000, 9]], host: "old-2" }, { metric: "bagtower.load.1m", points: [[1800000000, 0.5]], host: "old-2" }] };
    expect((await fetch(`${serve.url}/api/v1/series`, { method: "POST", body: JSON.stringify(series), headers: { "DD-API-KEY": INGEST_KEY } })).status).toBe(202);
    const detail = await stored("old-2");
    expect(Object.fromEntries(detail.items.map((i) => [i.id, { type: i.type, latest: i.latest }]))).toEqual({ network: { type: "counter", latest: { bytes_sent: 9 } }, load: { type: "number", latest: { "1m": 0.5 } } });
  });

  test("an unknown item's key travels in `key` and comes back as its key", async () => {
    const line = "bagtower,host=h,device=third-1,key=bed\\ 2,room=a greenhouse_humidity=61.5 1800000000\n";
    expect((await fetch(`${serve.url}/write?precision=s`, { method: "POST", body: line, headers: { Authorization: `Token ${INGEST_KEY}` } })).status).toBe(204);
    const detail = await stored("third-1");
    expect(detail.items.map((i) => [i.id, i.latest])).toEqual([["greenhouse_humidity", { "bed 2": 61.5 }]]);
    expect(detail.device.labels).toEqual({ room: "a" });
  });
});
