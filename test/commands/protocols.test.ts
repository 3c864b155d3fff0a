// serve speaks every source system's protocol (SPEC §9): the source documents' examples, bagtower's
// own encoders' output, and malformed versions of each.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import { encodeDatadog } from "../../src/formats/datadog.ts";
import { encodeInflux } from "../../src/formats/influx.ts";
import { encodePattoo } from "../../src/formats/pattoo.ts";
import { encodeTelemetrics } from "../../src/formats/telemetrics.ts";
import { FIXTURES } from "../helpers/context.ts";
import { INGEST_KEY, startTestServe } from "../helpers/serve.ts";

let serve: ReturnType<typeof startTestServe>;
beforeEach(() => {
  serve = startTestServe();
  // The examples' timestamps (up to 1795400100) must not be ahead of the receiver's clock.
  serve.clock.set(Date.UTC(2026, 10, 23, 12, 0, 0));
});
afterEach(() => serve.stop());

const fixture = JSON.parse(readFileSync(join(FIXTURES, "pi4", "expected.json"), "utf8"));
const OPTIONS = { pattooAgentId: "a".repeat(64), pollingIntervalMs: 600_000 };
const itemsOf = async (id: string) => Object.fromEntries(((await (await serve.get(`/api/devices/${id}`)).json()).items as { id: string; latest: unknown }[]).map((i) => [i.id, i.latest]));

/** The JSON example of seeds/001 (pattoo's agent documentation), verbatim. */
const PATTOO_EXAMPLE = `{"pattoo_agent_timestamp": 1578071455335,
 "pattoo_agent_id": "66cf7a8e560f75e23d557023ce591120abd094925bde6d97f09561b69b6ed3c4",
 "pattoo_agent_polling_interval": 20000,
 "pattoo_datapoints": {
    "key_value_pairs": {
      "0": ["unit", "000"],
      "1": ["pattoo_agent_hostname", "palisadoes"],
      "2": ["pattoo_agent_id", "66cf7a8e560f75e23d557023ce591120abd094925bde6d97f09561b69b6ed3c4"],
      "3": ["pattoo_agent_polled_target", "foo.example.org"],
      "4": ["pattoo_agent_polling_interval", "20000"],
      "5": ["pattoo_agent_program", "pattoo_agent_modbustcpd"],
      "6": ["pattoo_key", "agent_modbustcpd_input_register_30386"],
      "7": ["pattoo_data_type", 99],
      "8": ["pattoo_value", 732.0],
      "9": ["pattoo_timestamp", 1578071455233],
      "10": ["pattoo_checksum", "8e160e806f80fefbb66877555dfd90dc8328b3879e04a3283315b5cbcbb2e773"],
      "11": ["pattoo_key", "agent_modbustcpd_input_register_30388"],
      "12": ["pattoo_value", 727.0],
      "13": ["pattoo_timestamp", 1578071455238],
      "14": ["pattoo_checksum", "768b8b33168d3733b11a8875315e7f039bc4a3cf7dcc6d407d9146b05ed82e7d"]},
    "datapoint_pairs": [
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      [0, 1, 2, 3, 4, 5, 11, 7, 12, 13, 14]]
    }
  }`;
const PATTOO_AGENT = "66cf7a8e560f75e23d557023ce591120abd094925bde6d97f09561b69b6ed3c4";
const pattooPath = (agent = PATTOO_AGENT) => `/pattoo/api/v1/agent/receive/${agent}`;

describe("pattoo agent API", () => {
  test("the documentation's example: a device per polled target, datapoints as items, metadata as labels; answers OK", async () => {
    const res = await serve.post(pattooPath(), PATTOO_EXAMPLE);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("OK");
    const detail = await (await serve.get("/api/devices/foo.example.org")).json();
    expect(detail.device).toMatchObject({ hostname: "palisadoes", labels: { unit: "000", pattoo_agent_id: PATTOO_AGENT } });
    expect(await itemsOf("foo.example.org")).toEqual({ agent_modbustcpd_input_register_30386: 732, agent_modbustcpd_input_register_30388: 727 });
    // Replayed: acknowledged, not stored twice.
    expect((await serve.post(pattooPath(), PATTOO_EXAMPLE)).status).toBe(200);
    expect((await (await serve.get("/healthz")).json()).records).toBe(1);
  });

  test("bagtower's own pattoo output round-trips, strings included", async () => {
    const body = encodePattoo([fixture], OPTIONS).body;
    expect((await serve.post(pattooPath(OPTIONS.pattooAgentId), body)).status).toBe(200);
    const items = await itemsOf("pi4-1");
    expect(items.memory).toBe(16.8);
    expect(items.load).toEqual({ "1m": 0.42, "5m": 0.37, "15m": 0.31 });
    expect(items.cpu_per_cpu).toEqual(fixture.data.find((i: { id: string }) => i.id === "cpu_per_cpu").val);
    expect(items.system).toMatchObject({ os: "Debian GNU/Linux 12 (bookworm)" });
  });

  test("status page", async () => {
    expect(await (await serve.get("/pattoo/api/v1/agent/status")).text()).toBe("The Pattoo Agent API is Operational.\n");
  });

  test.each([
    ["a fifth top-level key", () => PATTOO_EXAMPLE.replace('"pattoo_agent_polling_interval": 20000,', '"pattoo_agent_polling_interval": 20000, "extra": 1,'), "unknown top-level key"],
    ["a missing top-level key", () => PATTOO_EXAMPLE.replace('"pattoo_agent_polling_interval": 20000,', ""), "pattoo_agent_polling_interval"],
    ["a pair id that does not exist", () => PATTOO_EXAMPLE.replace("[0, 1, 2, 3, 4, 5, 11, 7, 12, 13, 14]", "[0, 1, 2, 3, 4, 5, 11, 7, 12, 13, 99]"), "no key-value pair 99"],
    ["an unknown data type", () => PATTOO_EXAMPLE.replace('["pattoo_data_type", 99]', '["pattoo_data_type", 7]'), "pattoo_data_type 7"],
    ["a string value for an int", () => PATTOO_EXAMPLE.replace('["pattoo_value", 732.0]', '["pattoo_value", "lots"]'), "must be a number"],
    ["an agent id that is not the URL's", () => PATTOO_EXAMPLE.replaceAll(PATTOO_AGENT, "b".repeat(64)), "not the agent id of the URL"],
  ])("%s → 400", async (_, body, message) => {
    const res = await serve.post(pattooPath(), body());
    expect(res.status).toBe(400);
    expect((await res.json()).error).toContain(message);
    expect((await (await serve.get("/healthz")).json()).records).toBe(0);
  });

  test("without a key: refused, unless serve --pattoo-open", async () => {
    expect((await fetch(`${serve.url}${pattooPath()}`, { method: "POST", body: PATTOO_EXAMPLE })).status).toBe(401);
    serve.stop();
    serve = startTestServe({}, { pattooOpen: true });
    expect((await fetch(`${serve.url}${pattooPath()}`, { method: "POST", body: PATTOO_EXAMPLE })).status).toBe(200);
  });
});

describe("Datadog v1 series", () => {
  const chouette = (ts: number) => ({
    series: [
      { metric: "chouette.host.cpu.percentage", points: [[ts, 12.3]], type: "gauge", host: "pi-chouette", tags: ["role:sensor", "site:lab"] },
      { metric: "chouette.host.memory.percentage", points: [[ts, 44.1]], type: "gauge", host: "pi-chouette", tags: ["role:sensor"] },
      { metric: "chouette.requests", points: [[ts, 7], [ts + 10, 9]], type: "count", interval: 10, host: "pi-chouette" },
    ],
  });

  test("a chouette-style zlib body: host is the device, tags are labels, 202", async () => {
    const body = new Uint8Array(deflateSync(JSON.stringify(chouette(1795400000))));
    const res = await fetch(`${serve.url}/api/v1/series`, { method: "POST", body, headers: { "DD-API-KEY": INGEST_KEY, "Content-Encoding": "deflate", "Content-Type": "application/json" } });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: "ok" });
    const detail = await (await serve.get("/api/devices/pi-chouette")).json();
    expect(detail.device.labels).toEqual({ role: "sensor", site: "lab" });
    expect(await itemsOf("pi-chouette")).toEqual({ "chouette.host.cpu.percentage": 12.3, "chouette.host.memory.percentage": 44.1, "chouette.requests": 9 });
    expect((await (await serve.get("/healthz")).json()).records).toBe(2); // two timestamps
  });

  test("plain and gzip, api_key in the query; bagtower's own output maps back to its items", async () => {
    const body = encodeDatadog([fixture], OPTIONS).body;
    expect((await fetch(`${serve.url}/api/v1/series?api_key=${INGEST_KEY}`, { method: "POST", body })).status).toBe(202);
    const items = await itemsOf("pi4-1");
    expect(items.cpu_per_cpu).toEqual(fixture.data.find((i: { id: string }) => i.id === "cpu_per_cpu").val);
    expect(items.memory).toBe(16.8);
    expect((await fetch(`${serve.url}/api/v1/series`, { method: "POST", body: new Uint8Array(gzipSync(JSON.stringify(chouette(1795400100)))), headers: { "DD-API-KEY": INGEST_KEY, "Content-Encoding": "gzip" } })).status).toBe(202);
  });

  test.each([
    ["no series", "{}", 400, "series"],
    ["a point that is not a pair", JSON.stringify({ series: [{ metric: "m", points: [[1]], host: "h" }] }), 400, "series.0.points.0"],
    ["no host", JSON.stringify({ series: [{ metric: "m", points: [[1, 2]] }] }), 400, "series.0.host: required"],
    ["a bad type", JSON.stringify({ series: [{ metric: "m", points: [[1, 2]], host: "h", type: "histogram" }] }), 400, "gauge, count or rate"],
    ["malformed JSON", "{", 400, "not valid JSON"],
    ["a timestamp past the year 3000", JSON.stringify({ series: [{ metric: "m", points: [[9223372036854776000, 2]], host: "h" }] }), 400, "out of range"],
  ])("%s → %d", async (_, body, status, message) => {
    const res = await fetch(`${serve.url}/api/v1/series`, { method: "POST", body, headers: { "DD-API-KEY": INGEST_KEY } });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toContain(message);
  });

  test("a wrong key → 403", async () => {
    expect((await fetch(`${serve.url}/api/v1/series`, { method: "POST", body: "{}", headers: { "DD-API-KEY": "nope" } })).status).toBe(403);
  });
});

describe("Influx line protocol", () => {
  const write = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${serve.url}${path}`, { method: "POST", body, headers: { Authorization: `Token ${INGEST_KEY}`, ...headers } });

  test("every field type and escape; 204; the host tag is the device", async () => {
    const lines = [
      'weather,host=station\\ 1,location=us\\ midwest temp=82.5,humidity=71i,raining=true,note="say \\"hi\\"" 1465839830100400200',
      "weather,host=station\\ 1 temp=80 1465839890000000000",
    ].join("\n");
    expect((await write("/write?db=x", lines)).status).toBe(204);
    const items = await itemsOf("station-1");
    expect(items).toEqual({ weather: { temp: 80 }, weather_text: { note: 'say "hi"' } } as never);
    const series = await (await serve.get("/api/devices/station-1/series?item=weather&from=0&to=2000000000")).json();
    expect(series.points.humidity).toEqual([[1465839830, 71]]);
    expect(series.points.raining).toEqual([[1465839830, 1]]);
    expect((await (await serve.get("/api/devices/station-1")).json()).device.labels).toEqual({ location: "us midwest" });
  });

  test("bagtower's own lines map back to items; /api/v2/write, precision=s, gzip", async () => {
    const body = new Uint8Array(gzipSync(encodeInflux([fixture], OPTIONS).body));
    expect((await write("/api/v2/write?org=o&bucket=b&precision=s", body, { "Content-Encoding": "gzip" })).status).toBe(204);
    const items = await itemsOf("pi4-1");
    expect(items.cpu_per_cpu).toEqual(fixture.data.find((i: { id: string }) => i.id === "cpu_per_cpu").val);
    expect(items.sockets_info).toEqual(fixture.data.find((i: { id: string }) => i.id === "sockets_info").val);
    expect(items.memory).toBe(16.8);
    const series = await (await serve.get(`/api/devices/pi4-1/series?item=memory&from=0&to=${fixture.unixTimestamp}`)).json();
    expect(series.points[""]).toEqual([[fixture.unixTimestamp, 16.8]]);
  });

  test("?p= and Basic auth carry the key too (InfluxDB 1.x clients)", async () => {
    expect((await fetch(`${serve.url}/write?db=x&u=bagtower&p=${INGEST_KEY}`, { method: "POST", body: "m,host=h v=1 1" })).status).toBe(204);
    const basic = Buffer.from(`bagtower:${INGEST_KEY}`).toString("base64");
    expect((await fetch(`${serve.url}/write?db=x`, { method: "POST", body: "m,host=h v=2 2", headers: { Authorization: `Basic ${basic}` } })).status).toBe(204);
  });

  test.each([
    ["a bad value on line 2", "m,host=h v=1 1\nm,host=h v=oops 2", "unable to parse line 2"],
    ["no device or host tag", "m v=1 1", "a device or host tag is needed"],
    ["a bad precision", "m,host=h v=1 1", "precision=d is not one of"],
    ["an empty body", "\n\n", "no line to write"],
    ["a timestamp past the year 3000", "m,host=h v=1 9223372036854775807", "out of range"],
  ])("%s → 400 naming the line", async (name, body, message) => {
    const res = await write(`/write?db=x${name === "a bad precision" ? "&precision=d" : name.includes("3000") ? "&precision=s" : ""}`, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(message);
    expect((await (await serve.get("/healthz")).json()).records).toBe(0);
  });
});

describe("telemetrics-backend collector", () => {
  const headers = (style: "snake" | "Title") => {
    const h: Record<string, string> = {
      record_format_version: "4",
      classification: "org.clearlinux/hello/world",
      severity: "1",
      machine_id: "clr-7f3a",
      creation_timestamp: "1795400000",
      arch: "x86_64",
      host_type: "blank|blank|blank",
      build: "38000",
      kernel_version: "6.6.31",
      payload_format_version: "1",
      system_name: "clear-linux-os",
      board_name: "NUC",
      cpu_model: "Intel",
      bios_version: "1.0",
      event_id: "0123456789abcdef0123456789abcdef",
    };
    const out: Record<string, string> = { "X-Telemetry-TID": INGEST_KEY };
    for (const [k, v] of Object.entries(h)) out[style === "snake" ? k : k.split("_").map((w) => w[0]!.toUpperCase() + w.slice(1)).join("-")] = v;
    return out;
  };

  test.each(["snake", "Title"] as const)("the 15 record headers (%s style), payload kept as sent, 201", async (style) => {
    const res = await fetch(`${serve.url}/v2/collector`, { method: "POST", body: "hello world\n", headers: headers(style) });
    expect(res.status).toBe(201);
    const items = await itemsOf("clr-7f3a");
    expect(items.telemetrics).toMatchObject({ classification: "org.clearlinux/hello/world", severity: "1", kernel_version: "6.6.31" });
    const history = await (await serve.get("/api/devices/clr-7f3a/history?item=telemetrics.payload")).json();
    expect(history.values.at(-1)[1]).toBe("hello world\n");
  });

  test.each([3, 2] as const)("bagtower's own telemetrics record, v%i (x-api-key in the sink's headers), brings its items, filed under its deviceId", async (version) => {
    const encoded = encodeTelemetrics([fixture], { ...OPTIONS, telemetricsVersion: version });
    const res = await fetch(`${serve.url}/`, { method: "POST", body: encoded.body, headers: { "Content-Type": encoded.contentType, ...encoded.headers, "x-api-key": INGEST_KEY } });
    expect(res.status).toBe(201);
    // Not under machine_id: that rotates every 3 days and would make a new device each time.
    expect(fixture.deviceId).toBeString();
    expect((await serve.get(`/api/devices/${fixture.meta.machineId}`)).status).toBe(404);
    const items = await itemsOf(fixture.deviceId!);
    expect(items.memory).toBe(16.8);
    expect(items.telemetrics).toMatchObject({ record_format_version: "4", classification: "org.bagtower/device/health", system_name: "debian", build: "12" });
  });

  test.each([
    ["a missing header", (h: Record<string, string>) => delete h.severity, "header severity (or severity): required"],
    ["a bad severity", (h: Record<string, string>) => (h.severity = "9"), "severity: expected 1 to 4"],
    ["a bad classification", (h: Record<string, string>) => (h.classification = "nope"), "classification: expected domain/probe/kind"],
    ["no key and a foreign TID", (h: Record<string, string>) => (h["X-Telemetry-TID"] = "6907c830-eed9-4ce9-81ae-76daf8d88f0f"), "X-Telemetry-TID: not the ingest key"],
  ])("%s → 4xx", async (_, change, message) => {
    const h = headers("snake");
    change(h);
    const res = await fetch(`${serve.url}/`, { method: "POST", body: "x", headers: h });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(((await res.json()) as { error: string }).error).toContain(message);
  });
});

/**
 * What telemetrics-client 2.4 posts, byte for byte (test/fixtures/telemetrics/README.md says how it
 * was made): its 15 record fields and the payload as one JSON object; each value is the spool
 * line's text up to its first space (strtok), hence cpu_model "Intel(R)".
 */
const CLIENT_V3_BODY = readFileSync(join(FIXTURES, "..", "telemetrics", "client-2.4-v3-body.json"), "utf8");
const { payload: CLIENT_V3_PAYLOAD, ...CLIENT_V3_FIELDS } = JSON.parse(CLIENT_V3_BODY) as Record<string, string>;
/** The client's body with members changed (undefined: left out), for the hostile cases. */
const clientV3Body = (change: Record<string, unknown> = {}) => JSON.stringify({ ...CLIENT_V3_FIELDS, payload: CLIENT_V3_PAYLOAD, ...change });
const CLIENT_V3_HEADERS = { "X-Telemetry-TID": INGEST_KEY, "Content-Type": "application/json" };

describe("telemetrics-client 2.4 (v3 JSON body)", () => {
  const records = async () => (await (await serve.get("/healthz")).json()).records as number;

  test.each(["/v3/collector", "/v2/collector", "/"])("POST %s: the fields become the telemetrics item, the payload is kept as sent, 201", async (path) => {
    const res = await fetch(`${serve.url}${path}`, { method: "POST", body: CLIENT_V3_BODY, headers: CLIENT_V3_HEADERS });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("Record submitted\n");
    const items = await itemsOf("clr7f3a0123456789");
    expect(items.telemetrics).toEqual({ ...CLIENT_V3_FIELDS, cpu_model: "Intel(R)" });
    const history = await (await serve.get("/api/devices/clr7f3a0123456789/history?item=telemetrics.payload")).json();
    expect(history.values.at(-1)[1]).toBe('Process /usr/bin/foo crashed\n"signal": 11\tcafé');
  });

  test.each(["/v3/collector", "/v2/collector", "/"])("POST %s: an older client's record headers are still read there", async (path) => {
    const headers: Record<string, string> = { "X-Telemetry-TID": INGEST_KEY, "Content-Type": "application/text" };
    for (const [name, value] of Object.entries(CLIENT_V3_FIELDS)) headers[name] = value;
    const res = await fetch(`${serve.url}${path}`, { method: "POST", body: "hello world\n", headers });
    expect(res.status).toBe(201);
    const history = await (await serve.get("/api/devices/clr7f3a0123456789/history?item=telemetrics.payload")).json();
    expect(history.values.at(-1)[1]).toBe("hello world\n");
  });

  test("a resent record (same event_id) is stored once", async () => {
    for (let i = 0; i < 2; i++) expect((await fetch(`${serve.url}/v3/collector`, { method: "POST", body: CLIENT_V3_BODY, headers: CLIENT_V3_HEADERS })).status).toBe(201);
    expect(await records()).toBe(1);
  });

  test("a body without a JSON Content-Type (curl -d) is still read as one", async () => {
    const res = await fetch(`${serve.url}/v3/collector`, { method: "POST", body: CLIENT_V3_BODY, headers: { "X-Telemetry-TID": INGEST_KEY, "Content-Type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(201);
  });

  test.each([
    ["a missing field", clientV3Body({ severity: undefined }), 400, "field severity: required"],
    ["a field of the wrong type", clientV3Body({ severity: 1 }), 400, "field severity: expected a string"],
    ["a bad field value", clientV3Body({ classification: "nope" }), 400, 'field classification: expected domain/probe/kind, got "nope"'],
    ["no payload", clientV3Body({ payload: undefined }), 400, "field payload: expected the payload as a string"],
    ["a payload that is not a string", clientV3Body({ payload: { a: 1 } }), 400, "field payload: expected the payload as a string"],
    ["an array", `[${clientV3Body()}]`, 400, "body: expected a JSON object of record fields and a payload"],
    ["malformed JSON", clientV3Body().slice(0, -2), 400, "body is not valid JSON"],
    ["a timestamp from the future", clientV3Body({ creation_timestamp: "1895400000" }), 422, "field creation_timestamp"],
  ])("%s → a 4xx naming it, nothing stored", async (_, body, status, message) => {
    const res = await fetch(`${serve.url}/v3/collector`, { method: "POST", body, headers: CLIENT_V3_HEADERS });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toContain(message);
    expect(await records()).toBe(0);
  });

  test("invalid UTF-8 in the body → 400, nothing stored", async () => {
    const bytes = new TextEncoder().encode(clientV3Body({ payload: "PAYLOAD" }));
    const at = new TextDecoder().decode(bytes).indexOf("PAYLOAD");
    bytes.set([0xc3, 0x28], at);
    const res = await fetch(`${serve.url}/v3/collector`, { method: "POST", body: bytes, headers: CLIENT_V3_HEADERS });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("body is not valid UTF-8");
    expect(await records()).toBe(0);
  });

  test.each([
    ["the stock backend's TID", { "X-Telemetry-TID": "6907c830-eed9-4ce9-81ae-76daf8d88f0f" }, 403, "X-Telemetry-TID: not the ingest key"],
    ["no TID", {}, 401, "X-Telemetry-TID"],
  ])("%s (and no x-api-key) → refused, nothing stored", async (_, tid, status, message) => {
    const res = await fetch(`${serve.url}/v3/collector`, { method: "POST", body: clientV3Body(), headers: { "Content-Type": "application/json", ...tid } });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toContain(message);
    expect(await records()).toBe(0);
  });
});

describe("telemetrics-client 2.4 (v3 JSON body) over the body limit", () => {
  test("a payload over serve's body limit → 413, nothing stored", async () => {
    serve.stop();
    serve = startTestServe({ bodyBytes: 4096 });
    serve.clock.set(Date.UTC(2026, 10, 23, 12, 0, 0));
    const res = await fetch(`${serve.url}/v3/collector`, { method: "POST", body: clientV3Body({ payload: "x".repeat(5000) }), headers: CLIENT_V3_HEADERS });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toContain("over the limit of 4096 bytes");
    expect((await (await serve.get("/healthz")).json()).records).toBe(0);
  });
});

describe("bagtower push in every format into serve", () => {
  test.each([
    ["bagtower", { apiKey: INGEST_KEY }, "pi4-1"],
    ["pattoo", { headers: { "x-api-key": INGEST_KEY } }, "pi4-1"],
    ["datadog", { apiKey: INGEST_KEY }, "pi4-1"],
    ["influx", { apiKey: INGEST_KEY, database: "bagtower" }, "pi4-1"],
    ["telemetrics", { headers: { "x-api-key": INGEST_KEY } }, "pi4-1"],
    ["telemetrics", { headers: { "x-api-key": INGEST_KEY }, telemetricsVersion: 2 }, "pi4-1"],
    ["telemetrics", { apiKey: INGEST_KEY, path: "/v3/collector", telemetricsVersion: 3 }, "pi4-1"],
  ] as const)("%s %j: filed under the configured device id", async (format, sink, device) => {
    const { pushHome } = await import("../helpers/push.ts");
    const { path = "", ...rest } = sink as { path?: string };
    const home = pushHome({ format, url: serve.url + path, ...rest }, {}, Math.floor(serve.clock.now() / 1000) * 1000);
    try {
      const config = JSON.parse(readFileSync(join(home.home, "config.json"), "utf8"));
      writeFileSync(join(home.home, "config.json"), JSON.stringify({ ...config, deviceId: "pi4-1" }));
      expect(await home.run("push")).toBe(0);
      const { devices } = await (await serve.get("/api/devices")).json();
      expect(devices).toHaveLength(1);
      expect(devices[0].id).toBe(device);
      const items = await itemsOf(device);
      expect(items.memory).toBe(16.8);
    } finally {
      home.cleanup();
    }
  });
});
