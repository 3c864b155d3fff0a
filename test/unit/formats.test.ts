import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as v from "valibot";
import { encodeDatadog } from "../../src/formats/datadog.ts";
import { encoders } from "../../src/formats/index.ts";
import { encodeInflux } from "../../src/formats/influx.ts";
import { encodePattoo, pattooChecksum } from "../../src/formats/pattoo.ts";
import { encodePrometheus, encodePrometheusTextfile } from "../../src/formats/prometheus.ts";
import { encodeTelemetrics, telemetricsFields } from "../../src/formats/telemetrics.ts";
import type { EncodeOptions } from "../../src/formats/types.ts";
import { type BagtowerRecord, type Item, recordSchema } from "../../src/record/schema.ts";
import { FIXTURES } from "../helpers/context.ts";
import { sampleRecord } from "../helpers/record.ts";

const OPTIONS: EncodeOptions = { pattooAgentId: "agent-1", pollingIntervalMs: 20000 };
const CASES = ["pi4", "laptop", "server"] as const;

async function fixture(name: string): Promise<BagtowerRecord> {
  return v.parse(recordSchema, await Bun.file(join(FIXTURES, name, "expected.json")).json());
}

/** A small record of the shared builder; the meta the expected outputs name gets fixed values. */
const rec = (fields: { deviceId?: string; unixTimestamp?: number; data: Item[]; hostname?: string; tags?: Record<string, string>; machineId?: string }): BagtowerRecord =>
  sampleRecord(fields.deviceId, fields.unixTimestamp ?? 1700000000, {}, {
    data: fields.data,
    meta: { recordId: "record-0001", machineId: fields.machineId ?? "0123456789abcdef0123456789abcdef", hostname: fields.hostname ?? "h", seq: 1, agent: "bagtower/0.1.0", tags: fields.tags ?? {} },
  });

describe("pattooChecksum", () => {
  // Reference values from pattoo's own tests (SPEC §7).
  test.each([
    ["testing", 99, [], "7f99301d9be275b14af5626ffabe22a154415ed2ef7dad37f1707bd25b6afdc6"],
    ["testing", 99, [["_testing", "_testing"]], "306353a04200e3b889b18c6f78dd8e56a63a287218ec8424e22d31b4b961a905"],
    ["testing", 101, [], "ab48bdc902e2ea5476a54680a7ace0971ab90edb3f6ffe00a89b2d1e17b1548d"],
    ["testing", 2, [], "431111472993bf4d9b8b347476b79321fea8a337f3c1cb2fedaa185b54185540"],
  ] as [string, number, [string, string][], string][])("%s type %d %j", (key, type, metadata, expected) => {
    expect(pattooChecksum(key, type, metadata)).toBe(expected);
  });

  test("a metadata key already present is neither added nor hashed again", () => {
    const once = pattooChecksum("testing", 99, [["_testing", "_testing"]]);
    expect(pattooChecksum("testing", 99, [["_testing", "_testing"], ["_testing", "other"]])).toBe(once);
  });
});

describe("encodePattoo", () => {
  const small = rec({
    deviceId: "dev-1",
    unixTimestamp: 1578071455,
    hostname: " host-a ",
    // Keys are lowercased and trimmed, so the second tag repeats the first and is ignored.
    tags: { " Unit ": " 000 ", unit: "dup", pattoo_sneaky: "x" },
    data: [
      { id: "Temp", type: "celsius", val: 21.5 },
      { id: "sockets", type: "count", val: { a: 3 } },
      { id: "net", type: "counter", val: [10] },
      { id: "status", type: "string", val: "UP" },
    ],
  });

  test("shape, pair ids and checksums match pattoo's agent JSON", () => {
    const out = encodePattoo([small], OPTIONS);
    expect(out.contentType).toBe("application/json");
    expect(out.headers).toEqual({});
    const body = JSON.parse(out.body);
    expect(Object.keys(body)).toEqual(["pattoo_agent_timestamp", "pattoo_agent_id", "pattoo_agent_polling_interval", "pattoo_datapoints"]);
    expect(body).toEqual({
      pattoo_agent_timestamp: 1578071455000,
      pattoo_agent_id: "agent-1",
      pattoo_agent_polling_interval: 20000,
      pattoo_datapoints: {
        key_value_pairs: {
          "0": ["unit", "000"],
          "1": ["pattoo_agent_hostname", "host-a"],
          "2": ["pattoo_agent_id", "agent-1"],
          "3": ["pattoo_agent_polled_target", "dev-1"],
          "4": ["pattoo_agent_polling_interval", "20000"],
          "5": ["pattoo_agent_program", "bagtower"],
          "6": ["pattoo_key", "temp"],
          "7": ["pattoo_data_type", 101],
          "8": ["pattoo_value", 21.5],
          "9": ["pattoo_timestamp", 1578071455000],
          // Computed independently (Python hashlib) over key+type, then unit, hostname, id, target, program.
          "10": ["pattoo_checksum", "f2eefb37ac95254e2e604d146f8daeb2dafc3ab5e151518192a7a0dc1a432b47"],
          "11": ["pattoo_key", "sockets.a"],
          "12": ["pattoo_data_type", 99],
          "13": ["pattoo_value", 3],
          "14": ["pattoo_checksum", "83d91a076a09fd427c0143daa5026e3f1ffd13a585c76a5b22ea41b82ffd6767"],
          "15": ["pattoo_key", "net.0"],
          "16": ["pattoo_data_type", 64],
          "17": ["pattoo_value", 10],
          "18": ["pattoo_checksum", "3130e963a2b9ff178fe148c13aebf1afe85abdff49644ccc09a861c63056509c"],
          "19": ["pattoo_key", "status"],
          "20": ["pattoo_data_type", 2],
          "21": ["pattoo_value", "UP"],
          "22": ["pattoo_checksum", "20574d07ce1b0116938672ce4e245805c5fc2dd4cbafabd2106e0c7d947e08af"],
        },
        datapoint_pairs: [
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
          [0, 1, 2, 3, 4, 5, 11, 12, 13, 9, 14],
          [0, 1, 2, 3, 4, 5, 15, 16, 17, 9, 18],
          [0, 1, 2, 3, 4, 5, 19, 20, 21, 9, 22],
        ],
      },
    });
  });

  test("the polling interval never changes a checksum", () => {
    const checksums = (ms: number) =>
      Object.values(JSON.parse(encodePattoo([small], { ...OPTIONS, pollingIntervalMs: ms }).body).pattoo_datapoints.key_value_pairs as Record<string, [string, unknown]>)
        .filter(([k]) => k === "pattoo_checksum")
        .map(([, value]) => value);
    expect(checksums(60000)).toEqual(checksums(20000));
  });

  test("an integral count is int (99), a fractional one float (101); an object of strings is one type-2 datapoint per key", () => {
    const body = JSON.parse(
      encodePattoo(
        [rec({ data: [{ id: "c", type: "count", val: [2, 2.5] }, { id: "system", type: "string", val: { os: "Linux", arch: "x86_64" } }] })],
        OPTIONS,
      ).body,
    );
    const { key_value_pairs: kv, datapoint_pairs: dps } = body.pattoo_datapoints as { key_value_pairs: Record<string, [string, unknown]>; datapoint_pairs: number[][] };
    const datapoints = dps.map((ids) => Object.fromEntries(ids.map((id) => kv[String(id)]!)));
    expect(datapoints.map((dp) => [dp.pattoo_key, dp.pattoo_data_type, dp.pattoo_value])).toEqual([
      ["c.0", 99, 2],
      ["c.1", 101, 2.5],
      ["system.os", 2, "Linux"],
      ["system.arch", 2, "x86_64"],
    ]);
  });

  test("refuses a batch: one poll per post", () => {
    expect(() => encodePattoo([small, small], OPTIONS)).toThrow("pattoo takes exactly one record per request, got 2");
  });

  test("the example of seeds/001 has the same pair layout", async () => {
    const body = JSON.parse(encodePattoo([await fixture("pi4")], OPTIONS).body);
    const kv = body.pattoo_datapoints.key_value_pairs as Record<string, [string, unknown]>;
    for (const ids of body.pattoo_datapoints.datapoint_pairs as number[][]) {
      expect(ids.map((id) => kv[String(id)]![0])).toEqual([
        "site",
        "pattoo_agent_hostname",
        "pattoo_agent_id",
        "pattoo_agent_polled_target",
        "pattoo_agent_polling_interval",
        "pattoo_agent_program",
        "pattoo_key",
        "pattoo_data_type",
        "pattoo_value",
        "pattoo_timestamp",
        "pattoo_checksum",
      ]);
    }
    // Ids run from 0 without gaps and every pair is unique.
    expect(Object.keys(kv)).toEqual(Object.keys(kv).map((_, i) => String(i)));
    expect(new Set(Object.values(kv).map((pair) => JSON.stringify(pair))).size).toBe(Object.keys(kv).length);
  });
});

describe("encodeDatadog", () => {
  const at = (deviceId: string, unixTimestamp: number, cpu: number, rx: number) =>
    rec({
      deviceId,
      unixTimestamp,
      tags: { site: "lab", env: "x" },
      data: [
        { id: "cpu", type: "percent", val: cpu },
        { id: "network_interfaces", type: "counter", val: { "eth0.bytes_received": rx } },
        { id: "status", type: "string", val: "UP" },
      ],
    });

  test("merges the points of one metric across records; counters are gauges named _total; a key is a tag", () => {
    const out = encodeDatadog([at("dev-1", 100, 10, 5), at("dev-2", 130, 30, 1), at("dev-1", 160, 20, 9)], OPTIONS);
    expect(out.contentType).toBe("application/json");
    const tags1 = '["env:x","site:lab","device:dev-1"]';
    const tags2 = '["env:x","site:lab","device:dev-2"]';
    expect(out.body).toBe(
      `{"series":[` +
        `{"metric":"bagtower.cpu_percent","points":[[100,10],[160,20]],"type":"gauge","host":"dev-1","tags":${tags1}},` +
        `{"metric":"bagtower.network_receive_bytes_total","points":[[100,5],[160,9]],"type":"gauge","host":"dev-1","tags":["interface:eth0",${tags1.slice(1)}},` +
        `{"metric":"bagtower.cpu_percent","points":[[130,30]],"type":"gauge","host":"dev-2","tags":${tags2}},` +
        `{"metric":"bagtower.network_receive_bytes_total","points":[[130,1]],"type":"gauge","host":"dev-2","tags":["interface:eth0",${tags2.slice(1)}}` +
        `]}`,
    );
  });

  test("host falls back to the hostname without a device id, and no device tag is added", () => {
    const body = JSON.parse(encodeDatadog([rec({ hostname: "box", data: [{ id: "cpu", type: "percent", val: 1 }] })], OPTIONS).body);
    expect(body.series).toEqual([{ metric: "bagtower.cpu_percent", points: [[1700000000, 1]], type: "gauge", host: "box", tags: [] }]);
  });

  test("fixture metric names use only [A-Za-z0-9_.]", async () => {
    for (const name of CASES) {
      const body = JSON.parse(encodeDatadog([await fixture(name)], OPTIONS).body) as { series: { metric: string; type: string }[] };
      for (const s of body.series) {
        expect(s.metric).toMatch(/^bagtower\.[A-Za-z0-9_.]+$/);
        expect(s.type).toBe("gauge");
      }
    }
    const pi4 = JSON.parse(encodeDatadog([await fixture("pi4")], OPTIONS).body) as { series: { metric: string }[] };
    expect(pi4.series.map((s) => s.metric)).toContain("bagtower.temperature_celsius");
    expect(pi4.series.map((s) => s.metric)).not.toContain("bagtower.filesystems./");
  });
});

describe("encodeInflux", () => {
  test("escapes tag keys and tag values; a key is a tag on its own line; a device id keeps its colon", () => {
    const out = encodeInflux(
      [
        rec({
          deviceId: "dev:1",
          hostname: "my host",
          tags: { "site name": "a,b=c d", host: "ignored", empty: "" },
          data: [
            { id: "temperature", type: "celsius", val: { "coretemp/Package id 0": 52, "a=b,c": 1 } },
            { id: "cpu", type: "percent", val: 22 },
          ],
        }),
      ],
      OPTIONS,
    );
    expect(out.contentType).toBe("text/plain; charset=utf-8");
    expect(out.body).toBe(
      "bagtower,host=my\\ host,device=dev:1,site\\ name=a\\,b\\=c\\ d cpu_percent=22 1700000000\n" +
        "bagtower,host=my\\ host,device=dev:1,sensor=coretemp/Package\\ id\\ 0,site\\ name=a\\,b\\=c\\ d temperature_celsius=52 1700000000\n" +
        "bagtower,host=my\\ host,device=dev:1,sensor=a\\=b\\,c,site\\ name=a\\,b\\=c\\ d temperature_celsius=1 1700000000\n",
    );
  });

  test("int or float follows the metric, never the value; a scaled counter is a float", () => {
    const at = (unixTimestamp: number, temp: number, rx: number) =>
      rec({
        unixTimestamp,
        data: [
          { id: "temperature", type: "celsius", val: { cpu: temp } },
          { id: "sockets_info", type: "count", val: { nb_established: 3 } },
          { id: "memory_bytes", type: "bytes", val: { total: 1024 } },
          { id: "network", type: "counter", val: { bytes_received: rx } },
          { id: "processes", type: "number", val: 7 },
          { id: "disk_io", type: "counter", val: { "sda.io_ms": 1500 } },
        ],
      });
    expect(encodeInflux([at(1, 22, 5), at(2, 22.5, 6.5)], OPTIONS).body).toBe(
      "bagtower,host=h memory_total_bytes=1024i,network_all_receive_bytes_total=5i,processes=7i 1\n" +
        "bagtower,host=h,sensor=cpu temperature_celsius=22 1\n" +
        "bagtower,host=h,state=established tcp_sockets=3i 1\n" +
        "bagtower,host=h,disk=sda disk_io_time_seconds_total=1.5 1\n" +
        "bagtower,host=h memory_total_bytes=1024i,network_all_receive_bytes_total=7i,processes=7i 2\n" +
        "bagtower,host=h,sensor=cpu temperature_celsius=22.5 2\n" +
        "bagtower,host=h,state=established tcp_sockets=3i 2\n" +
        "bagtower,host=h,disk=sda disk_io_time_seconds_total=1.5 2\n",
    );
  });

  test("every field keeps one type across all fixtures", async () => {
    const types = new Map<string, boolean>();
    const body = encodeInflux(await Promise.all(CASES.map(fixture)), OPTIONS).body;
    expect(body.endsWith("\n")).toBe(true);
    const lines = body.trimEnd().split("\n");
    // Every line starts with its own record's host: a record's lines stay together.
    expect(lines.map((l) => /host=(\S+?),/.exec(l)![1]).filter((h, i, all) => h !== all[i - 1])).toHaveLength(3);
    for (const line of lines) {
      // Split only on unescaped separators: the laptop has `coretemp/Package\ id\ 0`.
      const fields = line.split(/(?<!\\) /)[1]!;
      for (const field of fields.split(/(?<!\\),/)) {
        const [key, value] = field.split(/(?<!\\)=/) as [string, string];
        const isInt = value.endsWith("i");
        expect(types.get(key) ?? isInt).toBe(isInt);
        types.set(key, isInt);
      }
    }
    expect(types.get("cpu_per_cpu_percent")).toBe(false);
    expect(types.get("tcp_sockets")).toBe(true);
    expect(types.get("load1")).toBe(false);
    // No field name carries a key: every one is a Prometheus metric name after `bagtower_`.
    for (const key of types.keys()) expect(key).toMatch(/^[a-z_][a-z0-9_]*$/);
  });

  test("a record without numbers writes no line", () => {
    expect(encodeInflux([rec({ data: [{ id: "status", type: "string", val: "UP" }] })], OPTIONS).body).toBe("");
  });
});

describe("encodePrometheus", () => {
  test("families, unit suffixes, key labels and label escaping", () => {
    const out = encodePrometheus(
      [
        rec({
          machineId: "m1",
          tags: { team: 'a"b\\c\nd', job: "dropped", "Rack-No": "7", __x: "dropped", cpu: "tagcpu" },
          data: [
            { id: "cpu_per_cpu", type: "percent", val: [1.5, 2] },
            { id: "network_interfaces", type: "counter", val: { "wlan0.bytes_received": 5 } },
            { id: "status", type: "string", val: "UP" },
            { id: "memory_bytes", type: "bytes", val: { total: 100 } },
            { id: "uptime", type: "seconds", val: 12 },
            { id: "load", type: "number", val: { "1m": 0.5 } },
            { id: "wifi", type: "dbm", val: { rssi_dbm: -60, signal_quality_percent: 71.4 } },
            { id: "sensor", type: "number", val: { "a b": 1 } },
          ],
        }),
      ],
      OPTIONS,
    );
    expect(out.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    const team = 'team="a\\"b\\\\c\\nd"';
    expect(out.body).toBe(
      [
        "# HELP bagtower_cpu_per_cpu_percent CPU busy per CPU (percent; item cpu_per_cpu)",
        "# TYPE bagtower_cpu_per_cpu_percent gauge",
        `bagtower_cpu_per_cpu_percent{cpu="0",device="m1",host="h",Rack_No="7",${team}} 1.5`,
        `bagtower_cpu_per_cpu_percent{cpu="1",device="m1",host="h",Rack_No="7",${team}} 2`,
        "# HELP bagtower_network_receive_bytes_total bytes received per interface (bytes; item network_interfaces)",
        "# TYPE bagtower_network_receive_bytes_total counter",
        `bagtower_network_receive_bytes_total{interface="wlan0",device="m1",host="h",Rack_No="7",cpu="tagcpu",${team}} 5`,
        "# HELP bagtower_memory_total_bytes MemTotal (bytes; item memory_bytes)",
        "# TYPE bagtower_memory_total_bytes gauge",
        `bagtower_memory_total_bytes{device="m1",host="h",Rack_No="7",cpu="tagcpu",${team}} 100`,
        "# HELP bagtower_uptime_seconds time since boot (seconds; item uptime)",
        "# TYPE bagtower_uptime_seconds gauge",
        `bagtower_uptime_seconds{device="m1",host="h",Rack_No="7",cpu="tagcpu",${team}} 12`,
        "# HELP bagtower_load1 load average over 1 minute (runnable tasks; item load)",
        "# TYPE bagtower_load1 gauge",
        `bagtower_load1{device="m1",host="h",Rack_No="7",cpu="tagcpu",${team}} 0.5`,
        // One unit per name: dBm and percent are two metrics.
        "# HELP bagtower_wifi_signal_dbm WiFi signal level (dBm; item wifi)",
        "# TYPE bagtower_wifi_signal_dbm gauge",
        `bagtower_wifi_signal_dbm{device="m1",host="h",Rack_No="7",cpu="tagcpu",${team}} -60`,
        "# HELP bagtower_wifi_link_quality_percent WiFi link quality, link / 70 (percent; item wifi)",
        "# TYPE bagtower_wifi_link_quality_percent gauge",
        `bagtower_wifi_link_quality_percent{device="m1",host="h",Rack_No="7",cpu="tagcpu",${team}} 71.4`,
        // An item no rule names: its type's unit suffix, the key in `key`.
        "# HELP bagtower_sensor bagtower item sensor (number)",
        "# TYPE bagtower_sensor gauge",
        `bagtower_sensor{key="a b",device="m1",host="h",Rack_No="7",cpu="tagcpu",${team}} 1`,
        "",
      ].join("\n"),
    );
  });

  test("only the newest record is written, without timestamps", () => {
    const at = (unixTimestamp: number, cpu: number) => rec({ deviceId: "d", unixTimestamp, data: [{ id: "cpu", type: "percent", val: cpu }] });
    expect(encodePrometheus([at(200, 2), at(100, 1)], OPTIONS).body).toBe(
      '# HELP bagtower_cpu_percent CPU busy, percent of all CPUs (percent; item cpu)\n# TYPE bagtower_cpu_percent gauge\nbagtower_cpu_percent{device="d",host="h"} 2\n',
    );
  });

  test("two items on one name: one family, no duplicate series, no TYPE clash", () => {
    const body = encodePrometheus(
      [
        rec({
          deviceId: "d",
          data: [
            { id: "cpu", type: "percent", val: 1 },
            { id: "cpu_percent", type: "number", val: 2 },
            { id: "x", type: "counter", val: 3 },
            { id: "x_total", type: "number", val: 4 },
          ],
        }),
      ],
      OPTIONS,
    ).body;
    expect(body).toBe(
      [
        "# HELP bagtower_cpu_percent CPU busy, percent of all CPUs (percent; item cpu)",
        "# TYPE bagtower_cpu_percent gauge",
        'bagtower_cpu_percent{device="d",host="h"} 1',
        "# HELP bagtower_x_total bagtower item x (counter)",
        "# TYPE bagtower_x_total counter",
        'bagtower_x_total{device="d",host="h"} 3',
        "",
      ].join("\n"),
    );
  });

  test("fixtures: one HELP and one TYPE per family, samples follow their TYPE, names are valid", async () => {
    for (const name of CASES) {
      const body = encodePrometheus([await fixture(name)], OPTIONS).body;
      expect(body.endsWith("\n")).toBe(true);
      const help = new Map<string, number>();
      const type = new Map<string, number>();
      let current = "";
      const seriesSeen = new Set<string>();
      for (const line of body.trimEnd().split("\n")) {
        const comment = /^# (HELP|TYPE) (\S+) /.exec(line);
        if (comment) {
          const counts = comment[1] === "HELP" ? help : type;
          counts.set(comment[2]!, (counts.get(comment[2]!) ?? 0) + 1);
          current = comment[2]!;
          continue;
        }
        // name{labels} value — no third (timestamp) field.
        const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
        expect(sample).not.toBeNull();
        expect(sample![1]).toBe(current);
        expect(seriesSeen.has(`${sample![1]}{${sample![2]}}`)).toBe(false);
        seriesSeen.add(`${sample![1]}{${sample![2]}}`);
      }
      expect([...help.values()].every((n) => n === 1)).toBe(true);
      expect([...type.keys()]).toEqual([...help.keys()]);
      expect([...type.values()].every((n) => n === 1)).toBe(true);
      expect(type.has("bagtower_network_all_receive_bytes_total")).toBe(true);
      expect(body).toContain('bagtower_filesystem_used_percent{mountpoint="/",');
    }
  });

  // node_exporter's textfile collector parses a .prom file with Prometheus' text parser and refuses
  // a file whose samples carry timestamps; promtool uses the same parser (and lints the names).
  test("the textfile variant is what node_exporter's textfile collector reads: it parses, no sample has a timestamp", async () => {
    const promtool = Bun.which("promtool");
    const hostile = rec({ deviceId: 'pi "4"\\lab', hostname: "h\nx", tags: { room: 'a"b\\c\nd', "9th-floor": "yes" }, data: [{ id: "cpu", type: "percent", val: 1 }, { id: "temperature", type: "celsius", val: { 'cpu "die"\\0': 40 } }] });
    for (const record of [...(await Promise.all(CASES.map(fixture))), hostile]) {
      const { body } = encodePrometheusTextfile([record], OPTIONS);
      expect(body.endsWith("\n")).toBe(true);
      for (const line of body.trimEnd().split("\n")) {
        if (line.startsWith("#")) continue;
        // The value is the last field, right after the closing brace of the labels: no timestamp after it.
        expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*\{.*\} -?[0-9][0-9.e+-]*$/);
      }
      if (!promtool && !process.env.CI) continue;
      const check = Bun.spawnSync([promtool ?? "promtool", "check", "metrics"], { stdin: Buffer.from(body), stdout: "pipe", stderr: "pipe" });
      expect({ code: check.exitCode, out: check.stdout.toString() + check.stderr.toString() }).toEqual({ code: 0, out: "" });
    }
    expect(encodePrometheusTextfile([hostile], OPTIONS).body).toContain('bagtower_temperature_celsius{sensor="cpu \\"die\\"\\\\0",device="pi \\"4\\"\\\\lab",host="h\\nx",_9th_floor="yes",room="a\\"b\\\\c\\nd"} 40\n');
  });
});

describe("encodeTelemetrics", () => {
  const PI4_FIELDS = {
    record_format_version: "4",
    classification: "org.bagtower/device/health",
    severity: "1",
    machine_id: "07070707070707070707070707070707",
    creation_timestamp: "1773773233",
    arch: "aarch64",
    // No DMI on a Pi: the device-tree model where telemetrics-client would put product and board names.
    host_type: "no_sv_file|Raspberry Pi 4 Model B Rev 1.4|no_pvr_file",
    build: "12",
    kernel_version: "6.6.31-v8+",
    payload_format_version: "1",
    system_name: "debian",
    board_name: "Raspberry Pi 4 Model B Rev 1.4|no_bv_file",
    cpu_model: "blank",
    bios_version: "no_bv_file",
    // sha256sum of the recordId / machineId, computed outside bagtower.
    event_id: "c22728dba8ddec790aeaba261d2bfacb",
  };

  test("v3 (the default): one JSON body of the 15 fields and the record as the payload string; only the TID as a header", async () => {
    const record = await fixture("pi4");
    const out = encodeTelemetrics([record], OPTIONS);
    expect(out.contentType).toBe("application/json");
    expect(out.headers).toEqual({ "X-Telemetry-TID": "bagtower-c121d3ba5db191d1" });
    const body = JSON.parse(out.body);
    // telemetrics-client's order: the 15 fields in common.h's order, then payload.
    expect(Object.keys(body)).toEqual([...Object.keys(PI4_FIELDS), "payload"]);
    expect(body).toEqual({ ...PI4_FIELDS, payload: JSON.stringify(record) });
    expect(encodeTelemetrics([record], { ...OPTIONS, telemetricsVersion: 3 })).toEqual(out);
  });

  test("v2: the same fields as headers, the record as the body", async () => {
    const record = await fixture("pi4");
    const out = encodeTelemetrics([record], { ...OPTIONS, telemetricsVersion: 2 });
    expect(JSON.parse(out.body)).toEqual(record);
    expect(out.headers).toEqual({ ...PI4_FIELDS, "X-Telemetry-TID": "bagtower-c121d3ba5db191d1" });
  });

  test.each([
    ["DMI of a PC", { osId: "fedora", osVariantId: "workstation", osVersionId: "41", sysVendor: "Dell Inc.", productName: "XPS 13 9310", productVersion: "", boardName: "0DXP1F", boardVendor: "Dell Inc.", biosVersion: "3.21.0", cpuModel: "Intel(R) Core(TM) i7" }, { host_type: "Dell Inc.|XPS 13 9310|blank", system_name: "fedora_workstation", build: "41", board_name: "0DXP1F|Dell Inc.", bios_version: "3.21.0", cpu_model: "Intel(R) Core(TM) i7" }],
    ["a Jetson: device-tree model, no DMI", { osId: "ubuntu", osVersionId: "22.04", deviceTreeModel: "NVIDIA Jetson AGX Orin Developer Kit", cpuModel: "" }, { host_type: "no_sv_file|NVIDIA Jetson AGX Orin Developer Kit|no_pvr_file", board_name: "NVIDIA Jetson AGX Orin Developer Kit|no_bv_file", bios_version: "no_bv_file", cpu_model: "blank" }],
    ["nothing known: the client's fallbacks", {}, { host_type: "no_sv_file|no_pn_file|no_pvr_file", system_name: "unknown", build: "0", board_name: "no_bn_file|no_bv_file", bios_version: "no_bv_file", cpu_model: "blank" }],
    ["a value a header cannot carry", { osId: "my\u00e9os", cpuModel: "x".repeat(300) }, { system_name: "my_os", cpu_model: "x".repeat(199) }],
  ])("fields from meta.host: %s", (_, host, expected) => {
    const record = rec({ data: [] });
    record.meta.host = host;
    expect(telemetricsFields(record)).toMatchObject(expected);
  });

  test("a record without meta.host (an older agent's, or a sketch's forwarded) has only its system item's model", () => {
    const record = rec({ data: [{ id: "system", type: "string", val: { kernel: "6.1", os: "Debian", arch: "x86_64", model: "QEMU Standard PC" } }] });
    expect(telemetricsFields(record)).toMatchObject({ host_type: "QEMU Standard PC", board_name: "QEMU Standard PC", system_name: "unknown", build: "unknown", cpu_model: "unknown", bios_version: "unknown", arch: "x86_64", kernel_version: "6.1" });
  });

  test("without a system item every derived header is unknown", () => {
    const headers = encodeTelemetrics([rec({ data: [] })], { ...OPTIONS, telemetricsVersion: 2 }).headers;
    for (const name of ["arch", "host_type", "build", "kernel_version", "system_name", "board_name"]) expect(headers[name]).toBe("unknown");
  });

  test("refuses a batch", () => {
    const record = rec({ data: [] });
    expect(() => encodeTelemetrics([record, record], OPTIONS)).toThrow("telemetrics takes exactly one record per request, got 2");
  });
});

describe("every encoder", () => {
  const withStrings = rec({
    deviceId: "d",
    data: [
      { id: "note", type: "string", val: "SECRETVALUE" },
      { id: "sys", type: "string", val: { os: "SECRETOS" } },
      { id: "cpu", type: "percent", val: 5 },
    ],
  });
  // Built by hand: the schema would refuse these, an encoder must still never write them.
  const nonFinite = rec({
    deviceId: "d",
    data: [
      { id: "a", type: "percent", val: Number.NaN },
      { id: "b", type: "number", val: Number.POSITIVE_INFINITY },
      { id: "c", type: "count", val: [1, Number.NEGATIVE_INFINITY] },
      { id: "e", type: "bytes", val: { x: Number.NaN, y: 2 } },
    ],
  });

  test("string items never reach the numeric formats", () => {
    for (const encode of [encodeDatadog, encodeInflux, encodePrometheus]) {
      const body = encode([withStrings], OPTIONS).body;
      expect(body).not.toContain("SECRET");
      expect(body).not.toContain("note");
      expect(body).toContain("cpu");
    }
    expect(encodePattoo([withStrings], OPTIONS).body).toContain('["pattoo_value","SECRETOS"]');
  });

  test("NaN and Infinity appear nowhere", () => {
    for (const [name, encode] of Object.entries(encoders)) {
      const out = encode([nonFinite], OPTIONS);
      const text = out.body + JSON.stringify(out.headers);
      expect({ name, nan: text.includes("NaN"), inf: text.includes("Infinity") }).toEqual({ name, nan: false, inf: false });
    }
    expect(encodeInflux([nonFinite], OPTIONS).body).toBe("bagtower,host=h,device=d,key=0 c=1i 1700000000\nbagtower,host=h,device=d,key=y e_bytes=2i 1700000000\n");
  });

  test("fixtures encode in every format", async () => {
    for (const name of CASES) {
      const record = await fixture(name);
      for (const encode of Object.values(encoders)) expect(encode([record], OPTIONS).body.length).toBeGreaterThan(0);
    }
  });
});
