// The receiver's handlers over a real HTTP server (port 0) and a real SQLite file: every route
// with good and bad input; after every refusal /healthz is fine and the stored data unchanged.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { isDirectLoopback, isLoopback } from "../../src/serve/access.ts";
import { DEFAULT_RULES } from "../../src/serve/alerts/rules.ts";
import { toRates } from "../../src/serve/api.ts";
import { createRateLimiter } from "../../src/serve/limits.ts";
import { sampleRecord } from "../helpers/record.ts";
import { adminAuth, reply, startTestServe, type Reply } from "../helpers/serve.ts";
import { waitFor } from "../helpers/wait.ts";

let serve: ReturnType<typeof startTestServe>;
beforeEach(() => {
  serve = startTestServe({ requestsPerMinute: 0 });
});
afterEach(() => serve.stop());

const nowS = () => Math.floor(serve.clock.now() / 1000);
const json = (r: unknown) => JSON.stringify(r);

async function snapshot() {
  const devices = await (await serve.get("/api/devices")).json();
  const health = await (await serve.get("/healthz")).json();
  return { devices, records: health.records };
}

describe("POST /logs", () => {
  test("one record: stored, acknowledged with the period and batch size", async () => {
    const res = await serve.post("/logs", json(sampleRecord("pi-1", nowS())));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", accepted: 1, duplicates: 0, periodSeconds: 600, batchMax: 500 });
    const { devices } = await (await serve.get("/api/devices")).json();
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ id: "pi-1", hostname: "pi-1-host", status: "UP", address: "127.0.0.1", latest: { cpu: 12.5, memory: 40, diskusage: 60 } });
  });

  test("/prod/logs, an array, and a replayed record is a duplicate, not stored twice", async () => {
    const a = sampleRecord("pi-1", nowS() - 60);
    const b = sampleRecord("pi-1", nowS());
    expect(await (await serve.post("/prod/logs", json([a, b]))).json()).toMatchObject({ accepted: 2, duplicates: 0 });
    expect(await (await serve.post("/logs", json(a))).json()).toMatchObject({ accepted: 0, duplicates: 1 });
    expect((await (await serve.get("/healthz")).json()).records).toBe(2);
  });

  test("a microcontroller's record: no meta, no UTCTimestamp", async () => {
    const res = await serve.post("/logs", json({ deviceId: "esp32-7", unixTimestamp: nowS(), data: [{ id: "temperature", type: "celsius", val: 21.5 }] }));
    expect(res.status).toBe(200);
    expect((await (await serve.get("/api/devices/esp32-7")).json()).items).toEqual([{ id: "temperature", type: "celsius", shape: "scalar", keys: [], latest: 21.5 }]);
  });

  test("gzip bodies are accepted", async () => {
    const res = await serve.post("/logs", new Uint8Array(gzipSync(json(sampleRecord("pi-gz", nowS())))), { "Content-Encoding": "gzip" });
    expect(res.status).toBe(200);
  });

  const bad: [string, () => Promise<Reply>, number, string][] = [
    ["no key", () => reply(fetch(`${serve.url}/logs`, { method: "POST", body: "{}" })), 401, "x-api-key: required"],
    ["wrong key", () => serve.post("/logs", "{}", { "x-api-key": "nope" }), 403, "not the ingest key"],
    ["malformed JSON", () => serve.post("/logs", '{"deviceId": "x", '), 400, "body is not valid JSON"],
    ["a wrong type", () => serve.post("/logs", json({ ...sampleRecord("x", 1), unixTimestamp: "yesterday" })), 400, 'unixTimestamp: expected a number, got "yesterday"'],
    ["a string value in a numeric item", () => serve.post("/logs", json({ deviceId: "x", unixTimestamp: 1, data: [{ id: "cpu", type: "percent", val: "high" }] })), 400, "data.0.val:"],
    ["an unknown type", () => serve.post("/logs", json({ deviceId: "x", unixTimestamp: 1, data: [{ id: "cpu", type: "furlongs", val: 1 }] })), 400, "data.0.type"],
    ["an unknown field", () => serve.post("/logs", json({ deviceId: "x", unixTimestamp: 1, data: [], extra: 1 })), 400, "extra"],
    ["a bad device id", () => serve.post("/logs", json({ deviceId: "a b/c", unixTimestamp: 1, data: [] })), 400, "deviceId: expected 1–128"],
    ["no device id at all", () => serve.post("/logs", json({ unixTimestamp: 1, data: [] })), 400, "deviceId: required"],
    ["an item twice", () => serve.post("/logs", json({ deviceId: "x", unixTimestamp: 1, data: [{ id: "a", type: "number", val: 1 }, { id: "a", type: "number", val: 2 }] })), 400, 'item "a" appears twice'],
    ["an empty array", () => serve.post("/logs", "[]"), 400, "non-empty array"],
    ["a huge body", () => serve.post("/logs", `{"x": "${"a".repeat(2 * 1024 * 1024)}"}`), 413, "over the limit of 1048576 bytes"],
    ["a gzip bomb", () => serve.post("/logs", new Uint8Array(gzipSync(Buffer.alloc(8 * 1024 * 1024, 32))), { "Content-Encoding": "gzip" }), 413, "decompressed body is over the limit"],
    ["broken gzip", () => serve.post("/logs", "not gzip", { "Content-Encoding": "gzip" }), 400, "not valid gzip data"],
    ["an unknown encoding", () => serve.post("/logs", "{}", { "Content-Encoding": "br" }), 415, "br is not supported"],
    ["10,000 items", () => serve.post("/logs", json({ deviceId: "x", unixTimestamp: 1, data: Array.from({ length: 10_000 }, (_, i) => ({ id: `i${i}`, type: "number", val: i })) })), 413, "10000 items, over the limit of 1000"],
    ["501 records", () => serve.post("/logs", json(Array.from({ length: 501 }, () => ({ deviceId: "x", unixTimestamp: 1, data: [] })))), 413, "501 records, over the limit of 500"],
    ["deep nesting", () => serve.post("/logs", `${"[".repeat(50_000)}${"]".repeat(50_000)}`), 400, ""],
    ["nested values", () => serve.post("/logs", json({ deviceId: "x", unixTimestamp: 1, data: [{ id: "a", type: "number", val: { b: { c: 1 } } }] })), 400, "data.0.val"],
    ["invalid UTF-8", () => serve.post("/logs", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 400, "not valid UTF-8"],
    ["a long string", () => serve.post("/logs", json({ deviceId: "x", unixTimestamp: 1, data: [{ id: "s", type: "string", val: "a".repeat(5000) }] })), 400, "at most 1024 characters"],
    ["NaN spelled out", () => serve.post("/logs", '{"deviceId":"x","unixTimestamp":1,"data":[{"id":"a","type":"number","val":NaN}]}'), 400, "not valid JSON"],
    ["GET on an ingest route", () => serve.get("/logs"), 405, "GET is not allowed on /logs"],
  ];
  test.each(bad)("%s → %d, /healthz fine, data unchanged", async (_, send, status, message) => {
    await serve.post("/logs", json(sampleRecord("keep", nowS())));
    const before = await snapshot();
    const res = await send();
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(body.status).toBe("error");
    expect(body.error).toContain(message);
    expect((await serve.get("/healthz")).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  test("rate limit per key and address: 429 with Retry-After", async () => {
    serve.stop();
    serve = startTestServe({ requestsPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await serve.post("/logs", json(sampleRecord("pi", nowS() + i)))).status).toBe(200);
    const res = await serve.post("/logs", json(sampleRecord("pi", nowS() + 9)));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await res.json()).error).toMatch(/^more than 3 requests this minute from 127\.0\.0\.1 with this key; retry in \d+ s$/);
    serve.clock.advance(60_000);
    expect((await serve.post("/logs", json(sampleRecord("pi", nowS() + 99)))).status).toBe(200);
  });

  test("the limiter counts each address apart; 0 turns it off", () => {
    let ms = 0;
    const limit = createRateLimiter(2, () => ms);
    limit("key", "10.0.0.1");
    limit("key", "10.0.0.1");
    expect(() => limit("key", "10.0.0.1")).toThrow("more than 2 requests this minute from 10.0.0.1");
    limit("key", "10.0.0.2");
    limit("other-key", "10.0.0.1");
    ms += 60_000;
    limit("key", "10.0.0.1");
    const off = createRateLimiter(0, () => ms);
    for (let i = 0; i < 1000; i++) off("key", "10.0.0.1");
  });

  test("serve --rate-limit takes a whole number", async () => {
    const { runCli } = await import("../../src/main.ts");
    const { testContext } = await import("../helpers/context.ts");
    const t = testContext();
    try {
      expect(await runCli(["serve", "--rate-limit", "lots", "--port", "0"], { overrides: t.ctx })).toBe(2);
      expect(t.logs.join("\n")).toContain("--rate-limit lots: expected a whole number of requests a minute (0: no limit)");
    } finally {
      t.cleanup();
    }
  });

  test("concurrent requests are committed in grouped transactions, none lost", async () => {
    const sends = Array.from({ length: 200 }, (_, i) => serve.post("/logs", json(sampleRecord(`dev-${i % 20}`, nowS() - i))));
    const replies = await Promise.all(sends);
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect((await (await serve.get("/healthz")).json()).records).toBe(200);
  });
});

describe("the fleet API", () => {
  beforeEach(async () => {
    const at = nowS();
    for (let i = 3; i >= 0; i--) await serve.post("/logs", json(sampleRecord("pi-1", at - i * 60, { rx: 10_000 + (3 - i) * 6000 })));
  });

  test("device detail lists each item with its shape and keys", async () => {
    const body = await (await serve.get("/api/devices/pi-1")).json();
    const shapes = Object.fromEntries(body.items.map((i: { id: string; shape: string; keys: string[] }) => [i.id, [i.shape, i.keys.join(",")]]));
    expect(shapes).toMatchObject({
      cpu: ["scalar", ""],
      cpu_per_cpu: ["array", "0,1"],
      sockets_info: ["object", "nb_established,nb_sockets_closing,nb_sockets_close,nb_sockets_listen"],
      system: ["string", "kernel,os"],
    });
    expect((await serve.get("/api/devices/nope")).status).toBe(404);
  });

  test("series: scalar, per index, per key; counters as per-second rates; time range", async () => {
    const cpu = await (await serve.get("/api/devices/pi-1/series?item=cpu")).json();
    expect(cpu).toMatchObject({ item: "cpu", type: "percent", rate: false, keys: [""] });
    expect(cpu.points[""]).toHaveLength(4);
    const perCpu = await (await serve.get("/api/devices/pi-1/series?item=cpu_per_cpu")).json();
    expect(perCpu.keys).toEqual(["0", "1"]);
    const sockets = await (await serve.get("/api/devices/pi-1/series?item=sockets_info")).json();
    expect(sockets.keys).toEqual(["nb_established", "nb_sockets_closing", "nb_sockets_close", "nb_sockets_listen"]);
    const net = await (await serve.get("/api/devices/pi-1/series?item=network")).json();
    expect(net.rate).toBe(true);
    expect(net.points.bytes_received.map((p: number[]) => p[1])).toEqual([100, 100, 100]);
    const recent = await (await serve.get(`/api/devices/pi-1/series?item=cpu&from=${nowS() - 90}`)).json();
    expect(recent.points[""]).toHaveLength(2);
    // A step coarser than the samples: one [ts, avg, min, max] row per step, from the tier it names.
    const hourly = await (await serve.get(`/api/devices/pi-1/series?item=cpu&step=3600&from=${nowS() - 3600}`)).json();
    expect([hourly.tier, hourly.step]).toEqual(["1h", 3600]);
    expect(hourly.points[""].every((p: number[]) => p.length === 4 && p[2]! <= p[1]! && p[1]! <= p[3]!)).toBe(true);
    for (const [query, status] of [
      ["item=system", 400],
      ["item=nope", 404],
      ["", 400],
      ["item=cpu&from=garbage", 400],
      ["item=cpu&from=20&to=10", 400],
      ["item=cpu&step=0", 400],
      ["item=cpu&step=1.5", 400],
      ["item=cpu&step=-60", 400],
      ["item=cpu&step=99999999", 400],
      ["item=cpu&step=abc", 400],
    ] as const) {
      expect({ query, status: (await serve.get(`/api/devices/pi-1/series?${query}`)).status }).toEqual({ query, status });
    }
  });

  test("series of several items in one request: the same answers in the order asked, per-item errors, bounded", async () => {
    const from = nowS() - 3600;
    const one = async (item: string) => (await serve.get(`/api/devices/pi-1/series?item=${item}&from=${from}&step=600`)).json();
    const many = await (await serve.get(`/api/devices/pi-1/series?items=network,cpu,nope,system,cpu_per_cpu&from=${from}&step=600`)).json();
    expect(many.series.map((s: { item: string }) => s.item)).toEqual(["network", "cpu", "nope", "system", "cpu_per_cpu"]);
    expect(many.series[0]).toEqual(await one("network"));
    expect(many.series[1]).toEqual(await one("cpu"));
    expect(many.series[4]).toEqual(await one("cpu_per_cpu"));
    expect(many.series[2]).toEqual({ item: "nope", error: 'device "pi-1" has no item "nope"' });
    expect(many.series[3]).toEqual({ item: "system", error: 'item "system" holds text, not numbers' });
    const tooMany = Array.from({ length: 201 }, (_, i) => `m${i}`).join(",");
    for (const [query, status, message] of [
      ["items=cpu&item=cpu", 400, "give one of them"],
      ["items=", 400, "none empty"],
      ["items=cpu,,memory", 400, "none empty"],
      ["items=cpu,cpu", 400, "named twice"],
      [`items=${tooMany}`, 400, "at most 200"],
      ["items=cpu&step=0", 400, "step"],
      ["items=cpu&from=20&to=10", 400, "from"],
    ] as const) {
      const res = await serve.get(`/api/devices/pi-1/series?${query}`);
      const body = await res.json();
      expect({ query: query.slice(0, 40), status: res.status }).toEqual({ query: query.slice(0, 40), status });
      expect(body.error).toContain(message);
    }
    expect((await serve.get("/api/devices/nobody/series?items=cpu")).status).toBe(404);
  });

  test("history: a text item's values as they changed, once each; numbers and unknown items refused", async () => {
    const at = nowS();
    const withOs = (ts: number, os: string) => ({ ...sampleRecord("pi-1", ts), data: [{ id: "system", type: "string", val: { kernel: "6.6", os } }] });
    for (const [i, os] of ["Debian 12", "Debian 12", "Debian 13", "Debian 13"].entries()) expect((await serve.post("/logs", json(withOs(at + 10 + i, os)))).status).toBe(200);
    const history = await (await serve.get(`/api/devices/pi-1/history?item=system&to=${at + 100}`)).json();
    expect(history.values.map((v: [number, { os: string }]) => v[1].os).slice(-2)).toEqual(["Debian 12", "Debian 13"]);
    expect(history.values.at(-1)[0]).toBe(at + 12);
    for (const [query, status] of [["item=cpu", 400], ["item=nope", 404], ["", 400], ["item=system&from=garbage", 400]] as const) {
      expect({ query, status: (await serve.get(`/api/devices/pi-1/history?${query}`)).status }).toEqual({ query, status });
    }
    expect((await serve.get("/api/devices/nope/history?item=system")).status).toBe(404);
  });

  test("PATCH period and labels; the next reply to the device carries the new period", async () => {
    const patch = (body: string) => reply(fetch(`${serve.url}/api/devices/pi-1`, { method: "PATCH", body, headers: adminAuth }));
    const res = await patch(json({ periodSeconds: 300, labels: { room: "attic" } }));
    expect(res.status).toBe(200);
    expect((await res.json()).device).toMatchObject({ periodSeconds: 300, labels: { room: "attic" } });
    expect(await (await serve.post("/logs", json(sampleRecord("pi-1", nowS() + 1)))).json()).toMatchObject({ periodSeconds: 300 });
    for (const [body, message] of [
      [json({ periodSeconds: 5 }), "periodSeconds: expected at least 10 s"],
      [json({ periodSeconds: "fast" }), "periodSeconds: expected a number"],
      [json({ name: "x" }), "only periodSeconds and labels"],
      [json({ labels: { "bad name": "x" } }), "labels"],
      ["{", "not valid JSON"],
    ]) {
      const bad = await patch(body!);
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toContain(message!);
    }
    expect((await fetch(`${serve.url}/api/devices/ghost`, { method: "PATCH", body: "{}", headers: adminAuth })).status).toBe(404);
  });

  test("GET /api/monitoring/resources in the spore-gateway shape", async () => {
    const body = await (await serve.get("/api/monitoring/resources")).json();
    expect(Object.keys(body)).toEqual(["timestamp", "nodes", "summary"]);
    expect(body.nodes[0]).toMatchObject({ hostname: "pi-1-host", node_ip: "127.0.0.1", cpu: { usage_percent: 12.5 }, memory: { usage_percent: 40 }, network: { bytes_received: 28_000, signal_quality_percent: 70 }, flash: { usage_percent: 60 } });
    expect(body.summary).toMatchObject({ total_nodes: 1, avg_cpu_usage_percent: 12.5, avg_memory_usage_percent: 40, avg_flash_usage_percent: 60, total_bytes_received: 28_000 });
  });

  test("GET /metrics: device values and the receiver's counters", async () => {
    const text = await (await serve.get("/metrics")).text();
    expect(text).toContain('bagtower_cpu_percent{device="pi-1",host="pi-1-host"} 12.5');
    expect(text).toContain('bagtower_device_up{device="pi-1"} 1');
    expect(text).toContain("bagtower_serve_records_total 4");
    expect(text).toContain('bagtower_serve_requests_total{route="POST /logs",code="200"} 4');
    expect(text.match(/^# TYPE bagtower_cpu_percent /gm)).toHaveLength(1);
  });

  test("unknown routes are 404 with JSON", async () => {
    const res = await serve.get("/api/nothing");
    expect(res.status).toBe(404);
    expect((await res.json()).error).toBe("no route for /api/nothing");
  });
});

describe("live events, DOWN and alerts", () => {
  test("/ws: device.log, alert firing and resolved, device.down and device.up", async () => {
    const ws = new WebSocket(`${serve.url.replace("http", "ws")}/ws`);
    const events: { type: string; [k: string]: unknown }[] = [];
    ws.onmessage = (m) => events.push(JSON.parse(String(m.data)));
    await new Promise((resolve) => (ws.onopen = resolve));
    const until = (what: (e: (typeof events)[number]) => boolean) => waitFor(`an event on /ws: ${what}`, () => events.some(what), 2_000);
    await serve.post("/logs", json(sampleRecord("pi-9", nowS(), { cpu: 95 })));
    await until((e) => e.type === "device.log" && e.deviceId === "pi-9");
    await until((e) => e.type === "alert" && e.rule === "cpu" && e.state === "firing");
    expect(events.find((e) => e.type === "device.up")).toMatchObject({ deviceId: "pi-9" });
    await serve.post("/logs", json(sampleRecord("pi-9", nowS() + 1, { cpu: 10 })));
    await until((e) => e.type === "alert" && e.rule === "cpu" && e.state === "resolved");
    // Silent for more than twice the period (600 s): DOWN.
    serve.clock.advance(1201_000);
    serve.app.checkDown();
    await until((e) => e.type === "device.down" && e.deviceId === "pi-9");
    await until((e) => e.type === "alert" && e.rule === "down" && e.state === "firing");
    expect((await (await serve.get("/api/devices/pi-9")).json()).device.status).toBe("DOWN");
    events.length = 0;
    await serve.post("/logs", json(sampleRecord("pi-9", nowS())));
    await until((e) => e.type === "device.up");
    await until((e) => e.type === "alert" && e.rule === "down" && e.state === "resolved");
    ws.close();
  });

  test("the alert rules and their defaults", async () => {
    expect(DEFAULT_RULES.slice(0, 4).map((r) => r.expr)).toEqual(["cpu > 80", "memory > 90", "diskusage > 95", "wifi.signal_quality_percent < 30"]);
    await serve.post("/logs", json(sampleRecord("pi-8", nowS(), {}, { data: [
      { id: "cpu", type: "percent", val: 81 },
      { id: "memory", type: "percent", val: 90 },
      { id: "diskusage", type: "percent", val: 96 },
      { id: "wifi", type: "dbm", val: { signal_quality_percent: 29 } },
    ] })));
    const { alerts } = await (await serve.get("/api/alerts?device=pi-8")).json();
    expect(alerts.map((a: { rule: string }) => a.rule).sort()).toEqual(["cpu", "disk", "wifi"]);
  });

  test("counter rates skip resets", () => expect(toRates([[0, 10], [10, 110], [20, 5], [30, 25]])).toEqual([[10, 10], [30, 2]]));
});

describe("loopback", () => {
  test("loopback addresses, trusted only for a direct connection", () => {
    for (const address of ["127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1"]) expect(isLoopback(address)).toBe(true);
    expect(isLoopback("192.168.1.5")).toBe(false);
    const request = (headers: Record<string, string> = {}) => new Request("http://x/api/devices", { headers });
    expect(isDirectLoopback(request(), "127.0.0.1")).toBe(true);
    for (const header of ["forwarded", "x-forwarded-for", "x-real-ip"]) expect(isDirectLoopback(request({ [header]: "203.0.113.9" }), "127.0.0.1")).toBe(false);
  });
});

describe("store retention and keys", () => {
  test("retention deletes records and points older than the cutoff, keeps the rest", async () => {
    await serve.post("/logs", json([sampleRecord("old", nowS() - 40 * 86400), sampleRecord("old", nowS())]));
    expect(await serve.store.deleteOlderThan(nowS() - 30 * 86400)).toBeGreaterThan(0);
    expect((await (await serve.get("/healthz")).json()).records).toBe(1);
    expect((await (await serve.get("/api/devices/old/series?item=cpu&from=0")).json()).points[""]).toHaveLength(1);
  });
});

describe("bagtower serve key", () => {
  test("shows the stored keys, generating them once; --rotate replaces them", async () => {
    const { runCli } = await import("../../src/main.ts");
    const { testContext } = await import("../helpers/context.ts");
    const t = testContext();
    try {
      expect(await runCli(["serve", "key", "--json"], { overrides: t.ctx })).toBe(0);
      const first = JSON.parse(t.out.pop()!);
      expect(first.ingestKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(await runCli(["serve", "key", "--json"], { overrides: t.ctx })).toBe(0);
      // The same keys; the login link is new each time (it works once).
      const again = JSON.parse(t.out.pop()!);
      expect({ ...again, loginUrl: "" }).toEqual({ ...first, loginUrl: "" });
      expect(again.loginUrl).not.toBe(first.loginUrl);
      expect(await runCli(["serve", "key", "--rotate", "--json"], { overrides: t.ctx })).toBe(0);
      const rotated = JSON.parse(t.out.pop()!);
      expect(rotated.ingestKey).not.toBe(first.ingestKey);
      expect(rotated.readToken).not.toBe(first.readToken);
      expect(rotated.adminToken).not.toBe(first.adminToken);
    } finally {
      t.cleanup();
    }
  });
});

describe("a database serve cannot use", () => {
  test("a file that is not SQLite: one line naming it, exit 1, the file untouched", async () => {
    const { runCli } = await import("../../src/main.ts");
    const { testContext } = await import("../helpers/context.ts");
    const { readFileSync, writeFileSync } = await import("node:fs");
    const t = testContext();
    try {
      const path = `${t.home}/notes.db`;
      writeFileSync(path, "my notes, not a database\n".repeat(200));
      expect(await runCli(["serve", "--db", path, "--port", "0"], { overrides: t.ctx })).toBe(1);
      expect(t.logs.filter((l) => l.includes("error"))).toEqual([expect.stringContaining(`${path}: file is not a database`)]);
      expect(readFileSync(path, "utf8")).toBe("my notes, not a database\n".repeat(200));
    } finally {
      t.cleanup();
    }
  });
});
