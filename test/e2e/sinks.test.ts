// push into the real systems a fleet already runs (SPEC §7), then read every value back and compare
// it with the record that was sent. Skipped locally when a Debian package is missing; in CI a
// missing package fails (scripts/test-deps.sh installs them).
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { pushgatewayMetrics, startInfluxDB, startPushgateway, startVictoriaMetrics, vmExport, type Backend } from "../helpers/backends.ts";
import { FIXTURES } from "../helpers/context.ts";
import { pushHome } from "../helpers/push.ts";
import { waitFor } from "../helpers/wait.ts";
import { type PrereqName, skipWithout } from "../helpers/prereq.ts";

const TIMEOUT = 60_000;
const missing = (name: PrereqName) => skipWithout(name);

// What the pi4 fixture reads (its golden record), and a clock on a whole second near now so the
// engines take the timestamps as current.
const expected = JSON.parse(readFileSync(join(FIXTURES, "pi4", "expected.json"), "utf8"));
const value = (id: string, key?: string) => {
  const val = expected.data.find((i: { id: string }) => i.id === id).val;
  return key === undefined ? val : val[key];
};
const nowS = Math.floor(Date.now() / 1000);

let backend: Backend | undefined;
let home: ReturnType<typeof pushHome> | undefined;
afterEach(async () => {
  await backend?.stop();
  home?.cleanup();
  backend = undefined;
});

test.skipIf(missing("victoria-metrics"))(
  "influx → VictoriaMetrics /write: every field readable with the same value and timestamp",
  async () => {
    backend = await startVictoriaMetrics();
    home = pushHome({ format: "influx", url: backend.url, database: "bagtower" }, {}, nowS * 1000);
    expect(await home.run("push")).toBe(0);
    const series = await vmExport(backend, '{__name__=~"bagtower_.*", db="bagtower"}');
    // The names of docs/METRICS.md: `<measurement>_<field>`, an item's key in a label.
    const get = (name: string, labels: Record<string, string> = {}) => series.find((s) => s.metric.__name__ === name && Object.entries(labels).every(([k, v]) => s.metric[k] === v));
    expect(get("bagtower_cpu_percent")?.values).toEqual([value("cpu")]);
    expect(get("bagtower_cpu_percent")?.timestamps).toEqual([nowS * 1000]);
    expect(get("bagtower_memory_percent")?.values).toEqual([value("memory")]);
    expect(get("bagtower_cpu_per_cpu_percent", { cpu: "3" })?.values).toEqual([value("cpu_per_cpu", "3")]);
    expect(get("bagtower_load1")?.values).toEqual([value("load", "1m")]);
    expect(get("bagtower_tcp_sockets", { state: "established" })?.values).toEqual([value("sockets_info", "nb_established")]);
    expect(get("bagtower_network_all_receive_bytes_total")?.values).toEqual([value("network", "bytes_received")]);
    expect(get("bagtower_filesystem_used_percent", { mountpoint: "/boot/firmware" })?.values).toEqual([value("filesystems", "/boot/firmware")]);
    expect(get("bagtower_cpu_percent")?.metric.host).toBe(expected.meta.hostname);
    // What `filesystems_/` never was: selectable by PromQL. VictoriaMetrics indexes a new series'
    // labels a moment after it stores the samples, so the label filter may find it only then.
    const query = async () => {
      const res = await fetch(`${backend!.url}/api/v1/query?${new URLSearchParams({ query: 'bagtower_filesystem_used_percent{mountpoint="/"}', time: String(nowS) })}`);
      return ((await res.json()) as { data: { result: { value: [number, string] }[] } }).data.result.map((r) => Number(r.value[1]));
    };
    await waitFor("VictoriaMetrics' label index has the series", async () => (await query()).length > 0, 30_000);
    expect(await query()).toEqual([value("filesystems", "/")]);
  },
  TIMEOUT,
);

test.skipIf(missing("influxdb"))(
  "influx → InfluxDB 1.6: integer and float fields keep their types across pushes",
  async () => {
    const influx = await startInfluxDB();
    backend = influx;
    await influx.createDatabase("bagtower");
    home = pushHome({ format: "influx", url: influx.url, database: "bagtower" }, {}, nowS * 1000);
    expect(await home.run("push")).toBe(0);
    expect(await home.run("push")).toBe(0); // a second write would be refused on a type conflict
    const body = await influx.query("bagtower", "SELECT cpu_percent, memory_percent, memory_total_bytes FROM bagtower WHERE cpu_percent >= 0 ORDER BY time ASC");
    const rows = body.results[0].series[0].values;
    expect(rows).toHaveLength(2);
    expect(rows[0].slice(1)).toEqual([value("cpu"), value("memory"), value("memory_bytes", "total")]);
    // An item's key is a tag: one series per state, selectable in InfluxQL.
    const listen = await influx.query("bagtower", "SELECT tcp_sockets FROM bagtower WHERE state = 'listen' ORDER BY time ASC");
    expect(listen.results[0].series[0].values.map((r: unknown[]) => r[1])).toEqual([value("sockets_info", "nb_sockets_listen"), value("sockets_info", "nb_sockets_listen")]);
  },
  TIMEOUT,
);

test.skipIf(missing("victoria-metrics"))(
  "datadog → VictoriaMetrics /datadog/api/v1/series (zlib deflate): values and host readable",
  async () => {
    backend = await startVictoriaMetrics();
    home = pushHome({ format: "datadog", url: `${backend.url}/datadog`, apiKey: "dd-key" }, {}, nowS * 1000);
    expect(await home.run("push")).toBe(0);
    const series = await vmExport(backend, '{__name__=~"bagtower.*"}');
    const names = series.map((s) => s.metric.__name__);
    const cpu = series.find((s) => /^bagtower[._]cpu_percent$/.test(s.metric.__name__!));
    expect({ names: names.length > 5, cpu: cpu?.values }).toEqual({ names: true, cpu: [value("cpu")] });
    expect(cpu?.timestamps).toEqual([nowS * 1000]);
    // A record's host is its device id: here the one generated once for the home.
    expect(cpu?.metric.host).toBe(readFileSync(join(home.home, "device-id"), "utf8").trim());
  },
  TIMEOUT,
);

test.skipIf(missing("pushgateway"))(
  "prometheus → Pushgateway: the newest record replaces the group; values readable",
  async () => {
    backend = await startPushgateway();
    home = pushHome({ format: "prometheus", url: backend.url }, { http: { timeoutMs: 300, retries: 0, compress: false } }, nowS * 1000);
    const pg = backend;
    // Three records wait in the spool (a closed port), then one PUT delivers the newest.
    const config = join(home.home, "config.json");
    const good = readFileSync(config, "utf8");
    writeFileSync(config, good.replace(pg.url, "http://127.0.0.1:1"));
    for (let i = 0; i < 3; i++) expect(await home.run("push")).toBe(75);
    writeFileSync(config, good);
    home.out.length = 0;
    expect(await home.run("push", "--json")).toBe(0);
    expect(JSON.parse(home.out[0]!).results[0]).toMatchObject({ sent: 4, superseded: 3, remaining: 0 });
    // The instance is the device id generated once for the home, not the machine id that rotates.
    const deviceId = readFileSync(join(home.home, "device-id"), "utf8").trim();
    const text = await pushgatewayMetrics(pg);
    const line = text.split("\n").find((l) => l.startsWith("bagtower_memory_percent{"));
    expect(line).toContain('job="bagtower"');
    expect(line).toContain(`instance="${deviceId}"`);
    expect(Number(line!.split(" ").at(-1))).toBe(value("memory"));
    expect(text).toContain("# TYPE bagtower_network_all_receive_bytes_total counter");
  },
  TIMEOUT,
);
