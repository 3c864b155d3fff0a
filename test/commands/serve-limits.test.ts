// serve's bounded resources (issue 10 §4): per-request limits in every ingest API, cardinality caps,
// future timestamps, paged fleet reads, the DOWN check in one commit, /ws caps, path decoding,
// chunked bodies and --pattoo-open's confinement. Real HTTP on port 0, a real SQLite file.
import { walCommits } from "../helpers/wal.ts";
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import net from "node:net";
import { renderMetrics } from "../../src/serve/metrics.ts";
import { sampleRecord } from "../helpers/record.ts";
import { INGEST_KEY, startTestServe } from "../helpers/serve.ts";

let serve: ReturnType<typeof startTestServe>;
afterEach(() => serve?.stop());

const nowS = () => Math.floor(serve.clock.now() / 1000);
const records = async () => (await (await serve.get("/healthz")).json()).records as number;
const errorLogs = () => serve.logs.filter((l) => l.startsWith("error"));
const refused = async (limit: string) => Number(new RegExp(`bagtower_serve_refused_total\\{limit="${limit}"\\} (\\d+)`).exec(await (await serve.get("/metrics")).text())?.[1] ?? 0);
const small = (deviceId: string, at: number, items: Record<string, number> = { cpu: 5 }) => ({ deviceId, unixTimestamp: at, data: Object.entries(items).map(([id, val]) => ({ id, type: "percent", val })) });

describe("per-request limits in every ingest API, while parsing", () => {
  test("Datadog: a 1 MB body of 64,000 host×timestamp records is a 413 naming recordsPerRequest; nothing stored", async () => {
    serve = startTestServe({ requestsPerMinute: 0 });
    const t = nowS() - 100_000;
    // One series per host, 40 points each: ~1 MB, tens of thousands of (host, timestamp) records.
    const series = Array.from({ length: 1600 }, (_, h) => ({ metric: "m", host: `h${h}`, points: Array.from({ length: 40 }, (_, i) => [t + i, 1]) }));
    const body = JSON.stringify({ series });
    expect(body.length).toBeGreaterThan(900_000);
    const res = await serve.post("/api/v1/series", body, { "DD-API-KEY": INGEST_KEY });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toContain("more than 500 records, over the limit of 500 per request");
    expect(await records()).toBe(0);
    expect(await refused("recordsPerRequest")).toBe(1);
  });

  test("Influx v1 and v2: a 1 MB body of 31,000 lines at distinct timestamps is a 413 naming the line", async () => {
    serve = startTestServe({ requestsPerMinute: 0 });
    const t = nowS() - 100_000;
    const body = Array.from({ length: 31_000 }, (_, i) => `cpu,host=h${i % 7} usage=1 ${t + i}`).join("\n");
    expect(body.length).toBeGreaterThan(900_000);
    for (const path of ["/write?precision=s", "/api/v2/write?precision=s"]) {
      const res = await serve.post(path, body, { Authorization: `Token ${INGEST_KEY}` });
      expect(res.status).toBe(413);
      expect((await res.json()).error).toBe("line 501 (one record per device and timestamp): more than 500 records, over the limit of 500 per request");
    }
    expect(await records()).toBe(0);
  });

  test("pattoo: more polled targets than records per request → 413; telemetrics: more items than per record → 413", async () => {
    serve = startTestServe({ requestsPerMinute: 0, recordsPerRequest: 3, itemsPerRecord: 2 });
    const pairs: Record<string, [string, string | number]> = { "0": ["pattoo_key", "k"], "1": ["pattoo_data_type", 99], "2": ["pattoo_value", 1] };
    const points: number[][] = [];
    for (let i = 0; i < 4; i++) {
      pairs[String(10 + i)] = ["pattoo_agent_polled_target", `target-${i}`];
      points.push([0, 1, 2, 10 + i]);
    }
    const post = { pattoo_agent_timestamp: (nowS() - 10) * 1000, pattoo_agent_id: "a", pattoo_agent_polling_interval: 1, pattoo_datapoints: { key_value_pairs: pairs, datapoint_pairs: points } };
    const res = await serve.post("/pattoo/api/v1/agent/receive/a", JSON.stringify(post));
    expect(res.status).toBe(413);
    expect((await res.json()).error).toContain("more than 3 records, over the limit of 3 per request");

    const headers = { record_format_version: "4", classification: "a/b/c", severity: "1", machine_id: "m1", creation_timestamp: String(nowS()), payload_format_version: "1" };
    const payload = JSON.stringify(small("m1", nowS(), { a: 1, b: 2 }));
    const tel = await serve.post("/v2/collector", payload, headers);
    expect(tel.status).toBe(413);
    expect((await tel.json()).error).toBe("payload: 3 items, over the limit of 2 per record");
    expect(await records()).toBe(0);
  });

  test("bagtower: meta's tags, errors and self.lastError are held to the string limit", async () => {
    serve = startTestServe({ requestsPerMinute: 0 });
    const base = sampleRecord("pi-1", nowS());
    const cases: [string, unknown][] = [
      ["meta.tags.site: 5000 characters, over the limit of 1024", { ...base.meta, tags: { site: "x".repeat(5000) } }],
      ["meta.errors.0.message: 5000 characters", { ...base.meta, errors: [{ id: "cpu", message: "x".repeat(5000) }] }],
    ];
    for (const [message, meta] of cases) {
      const res = await serve.post("/logs", JSON.stringify({ ...base, meta }));
      expect(res.status).toBe(413);
      expect((await res.json()).error).toContain(message);
    }
    expect(await records()).toBe(0);
  });
});

describe("timestamps ahead of the clock, duplicate keys", () => {
  test("more than 10 minutes ahead: 422 in every API, and the device's latest values are not frozen", async () => {
    serve = startTestServe({ requestsPerMinute: 0 });
    const ahead = nowS() + 3600;
    const res = await serve.post("/logs", JSON.stringify(small("pi-1", ahead, { cpu: 99 })));
    expect(res.status).toBe(422);
    expect((await res.json()).error).toMatch(/^unixTimestamp: timestamp \d+ \(.*\) is 3600 s ahead of this receiver's clock \(at most 600 s: check the device's clock\)$/);
    const refusals = [
      await serve.post("/api/v1/series", JSON.stringify({ series: [{ metric: "m", host: "pi-1", points: [[ahead, 1]] }] }), { "DD-API-KEY": INGEST_KEY }),
      await serve.post("/write?precision=s", `cpu,host=pi-1 usage=1 ${ahead}`, { Authorization: `Token ${INGEST_KEY}` }),
      await serve.post("/v2/collector", "text", { record_format_version: "4", classification: "a/b/c", severity: "1", machine_id: "pi-1", creation_timestamp: String(ahead), payload_format_version: "1" }),
      await serve.post(
        "/pattoo/api/v1/agent/receive/a",
        JSON.stringify({ pattoo_agent_timestamp: ahead * 1000, pattoo_agent_id: "a", pattoo_agent_polling_interval: 1, pattoo_datapoints: { key_value_pairs: { "0": ["pattoo_key", "k"], "1": ["pattoo_data_type", 99], "2": ["pattoo_value", 1] }, datapoint_pairs: [[0, 1, 2]] } }),
      ),
    ];
    expect(refusals.map((r) => r.status)).toEqual([422, 422, 422, 422]);
    // 599 s ahead is a clock's drift: accepted. Then the current record still updates the latest value.
    expect((await serve.post("/logs", JSON.stringify(small("pi-1", nowS() + 599, { cpu: 10 })))).status).toBe(200);
    serve.clock.advance(700_000);
    expect((await serve.post("/logs", JSON.stringify(small("pi-1", nowS(), { cpu: 20 })))).status).toBe(200);
    expect((await (await serve.get("/api/devices/pi-1")).json()).items[0].latest).toBe(20);
    expect(await refused("futureSeconds")).toBe(5);
  });

  test("a duplicate JSON key: the stored body is the validated record, not the request's text", async () => {
    // Bodies are kept (in the outbox) only for forward targets; this one is never reachable.
    serve = startTestServe({ requestsPerMinute: 0 }, { forward: [{ name: "nowhere", format: "bagtower", url: "http://127.0.0.1:9/logs" }] as never, periods: { forward: 3600_000 } });
    const text = `{"deviceId":"evil","deviceId":"pi-1","unixTimestamp":${nowS()},"data":[{"id":"cpu","type":"percent","val":1,"val":7}]}`;
    expect((await serve.post("/logs", text)).status).toBe(200);
    const db = new Database(serve.dbPath, { readonly: true });
    const { body } = db.query("SELECT body FROM outbox").get() as { body: string };
    db.close();
    expect(body).not.toContain("evil");
    expect(JSON.parse(body)).toEqual({ deviceId: "pi-1", unixTimestamp: nowS(), data: [{ id: "cpu", type: "percent", val: 7 }] });
  });
});

describe("cardinality caps", () => {
  test("devices per key → 429, items per device and labels per device → 422, each named and counted in /metrics", async () => {
    serve = startTestServe({ requestsPerMinute: 0, devicesPerKey: 3, itemsPerDevice: 4, labelsPerDevice: 2, labelLength: 8 });
    const t = nowS();
    expect((await serve.post("/logs", JSON.stringify([small("a", t), small("b", t), small("c", t)]))).status).toBe(200);
    const over = await serve.post("/logs", JSON.stringify(small("d", t)));
    expect(over.status).toBe(429);
    expect((await over.json()).error).toBe("1 new device(s) would make more than 3 devices for the ingest key, the limit (serve --max-devices)");
    // A known device still reports.
    expect((await serve.post("/logs", JSON.stringify(small("a", t + 1)))).status).toBe(200);

    expect((await serve.post("/logs", JSON.stringify(small("a", t + 2, { cpu: 1, m1: 1, m2: 2, m3: 3 })))).status).toBe(200);
    const items = await serve.post("/logs", JSON.stringify(small("a", t + 3, { m4: 4 })));
    expect(items.status).toBe(422);
    expect((await items.json()).error).toBe("device a: item m4 would be more than 4 items, the limit per device (serve --max-items)");

    const influx = (line: string) => serve.post("/write?precision=s", line, { Authorization: `Token ${INGEST_KEY}` });
    expect((await influx(`cpu,host=b,room=r1 usage=1 ${t}`)).status).toBe(204);
    expect((await influx(`cpu,host=b,rack=k1 usage=1 ${t + 1}`)).status).toBe(204);
    const labels = await influx(`cpu,host=b,row=w1 usage=1 ${t + 2}`);
    expect(labels.status).toBe(422);
    expect((await labels.json()).error).toBe("device b: 3 labels, over the limit of 2 per device (serve --max-labels)");
    const long = await influx(`cpu,host=c,room=${"x".repeat(9)} usage=1 ${t}`);
    expect(long.status).toBe(422);
    expect((await long.json()).error).toBe("line 1: label room has 9 characters, over the limit of 8");

    expect((await (await serve.get("/healthz")).json()).devices).toBe(3);
    for (const limit of ["devicesPerKey", "itemsPerDevice", "labelsPerDevice", "labelLength"]) expect({ limit, n: await refused(limit) }).toEqual({ limit, n: 1 });
  });

  test("a refused request in a turn's transaction leaves the others of that turn committed", async () => {
    serve = startTestServe({ requestsPerMinute: 0, devicesPerKey: 2 });
    const t = nowS();
    const replies = await Promise.all(["a", "b", "c", "a"].map((id, i) => serve.post("/logs", JSON.stringify(small(id, t + i)))));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 429, 200]);
    expect(await records()).toBe(3);
  });
});

describe("a fleet at the cap", () => {
  test("10,000 devices going DOWN is one commit; /api/devices and /api/monitoring/resources are paged; /metrics yields while it is built", async () => {
    serve = startTestServe({ requestsPerMinute: 0 });
    const t = nowS();
    for (let start = 0; start < 10_000; start += 500) {
      const batch = Array.from({ length: 500 }, (_, i) => small(`dev-${String(start + i).padStart(5, "0")}`, t, { cpu: 10, memory: 20 }));
      expect((await serve.post("/logs", JSON.stringify(batch))).status).toBe(200);
    }
    // The devices' rows are written behind their records (a read writes them first): then empty
    // the log, so what the DOWN check writes is all there is in it.
    expect(serve.store.device("dev-00000")?.status).toBe("UP");
    const side = new Database(serve.dbPath);
    side.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    side.close();
    let downs = 0;
    serve.app.events.publish = ((type: string) => {
      if (type === "device.down") downs++;
    }) as typeof serve.app.events.publish;
    serve.clock.advance(1201_000);
    serve.app.checkDown();
    expect(downs).toBe(10_000);
    // One commit marks them DOWN, one more holds their 10,000 down alerts.
    expect(walCommits(serve.dbPath)).toBe(2);
    expect(serve.app.alerts.firingCounts().critical).toBe(10_000);

    const first = await (await serve.get("/api/devices")).json();
    expect(first.devices).toHaveLength(500);
    expect(first.devices[0].status).toBe("DOWN");
    const seen = new Set<string>();
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const page: { devices: { id: string }[]; nextCursor: string | null } = await (await serve.get(`/api/devices?limit=1000&cursor=${encodeURIComponent(cursor)}`)).json();
      expect(page.devices.length).toBeLessThanOrEqual(1000);
      for (const d of page.devices) seen.add(d.id);
      cursor = page.nextCursor;
      pages++;
    }
    expect([seen.size, pages]).toEqual([10_000, 10]);
    expect((await serve.get("/api/devices?limit=5000")).status).toBe(400);

    // /metrics is built a page of devices at a time: /healthz answers while it is being built.
    let built = false;
    const building = renderMetrics(serve.store, serve.app.alerts, serve.app.counters).then((text) => ((built = true), text));
    expect((await serve.get("/healthz")).status).toBe(200);
    expect(built).toBe(false);
    const text = await building;
    expect(text).toContain("bagtower_serve_devices 10000\n");
    expect(text.match(/^bagtower_device_up\{/gm)).toHaveLength(10_000);
    expect(text.match(/^# TYPE bagtower_cpu_percent /gm)).toHaveLength(1);

    const monitoring = await (await serve.get("/api/monitoring/resources?limit=10")).json();
    expect(monitoring.nodes).toHaveLength(10);
    expect(monitoring.nextCursor).toBe("dev-00009");
    expect(monitoring.summary).toMatchObject({ total_nodes: 10_000, up_nodes: 0, avg_cpu_usage_percent: 10, avg_memory_usage_percent: 20 });
  }, 60_000);
});

describe("/ws clients", () => {
  test("50 clients that never read are disconnected; the receiver's memory stays bounded", async () => {
    serve = startTestServe({ wsBufferedBytes: 256 * 1024 });
    const port = Number(new URL(serve.url).port);
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const socket = net.connect(port, "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      await new Promise((resolve) => socket.once("data", resolve));
      socket.pause(); // never reads again: the kernel's buffers fill, then the receiver's
      sockets.push(socket);
    }
    const gauge = async () => Number(/bagtower_serve_ws_clients (\d+)/.exec(await (await serve.get("/metrics")).text())?.[1]);
    expect(await gauge()).toBe(50);
    const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]) / 1024;
    const before = rssMb();
    const big = "x".repeat(100_000);
    // 200 MB for each client: today's receiver buffers it all (gigabytes).
    for (let i = 0; i < 2000 && (await gauge()) > 0; i++) {
      serve.app.events.publish("device.log", { deviceId: "pi", big });
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (let i = 0; i < 100 && (await gauge()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await gauge()).toBe(0);
    expect(rssMb() - before).toBeLessThan(200);
    for (const s of sockets) s.destroy();
  }, 60_000);

  test("more clients than --max-ws-clients: 429 naming the cap", async () => {
    serve = startTestServe({ wsClients: 2 });
    const open = async () => {
      const ws = new WebSocket(`${serve.url.replace("http", "ws")}/ws`);
      await new Promise((resolve) => (ws.onopen = resolve));
      return ws;
    };
    const clients = [await open(), await open()];
    const third = await fetch(`${serve.url}/ws`, { headers: { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13" } });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: string }).error).toBe("/ws: 2 live clients already, the limit (serve --max-ws-clients)");
    for (const ws of clients) ws.close();
  });
});

describe("paths and bodies", () => {
  test("a bad percent-encoding in a path is a 400, with no error logged", async () => {
    serve = startTestServe();
    for (const path of ["/api/devices/%E0%A4%A", "/api/devices/%E0%A4%A/series?item=cpu", "/pattoo/api/v1/agent/receive/%ff"]) {
      const res = await fetch(`${serve.url}${path}`, { method: path.startsWith("/pattoo") ? "POST" : "GET", headers: { "x-api-key": INGEST_KEY } });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(((await res.json()) as { error: string }).error).toContain("is not valid percent-encoded UTF-8");
    }
    expect(errorLogs()).toEqual([]);
  });

  test("an over-size chunked body (no Content-Length) is a 413 with no error logged", async () => {
    serve = startTestServe({ bodyBytes: 64 * 1024 });
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 4 * 1024 * 1024) return controller.close();
        sent += 16 * 1024;
        controller.enqueue(new Uint8Array(16 * 1024).fill(0x20));
      },
    });
    const res = await fetch(`${serve.url}/logs`, { method: "POST", body, headers: { "x-api-key": INGEST_KEY } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe("body of more than 65536 bytes is over the limit of 65536 bytes");
    expect(errorLogs()).toEqual([]);
    expect((await serve.get("/healthz")).status).toBe(200);
  });
});

describe("serve --pattoo-open", () => {
  const pattooPost = (target: string, at: number) =>
    JSON.stringify({
      pattoo_agent_timestamp: at * 1000,
      pattoo_agent_id: "agent",
      pattoo_agent_polling_interval: 1,
      pattoo_datapoints: { key_value_pairs: { "0": ["pattoo_key", "k"], "1": ["pattoo_data_type", 99], "2": ["pattoo_value", 1], "3": ["pattoo_agent_polled_target", target] }, datapoint_pairs: [[0, 1, 2, 3]] },
    });
  const keyless = (body: string) => fetch(`${serve.url}/pattoo/api/v1/agent/receive/agent`, { method: "POST", body, headers: { "Content-Type": "application/json" } });

  test("a keyless post cannot write to a device created with the key; its own devices work", async () => {
    serve = startTestServe({ requestsPerMinute: 0 }, { pattooOpen: true });
    expect((await serve.post("/logs", JSON.stringify(small("router-1", nowS(), { cpu: 3 })))).status).toBe(200);
    const hijack = await keyless(pattooPost("router-1", nowS()));
    expect(hijack.status).toBe(403);
    expect(((await hijack.json()) as { error: string }).error).toBe("device router-1 was created with the ingest key: a keyless pattoo post (--pattoo-open) cannot write to it; send x-api-key");
    expect((await (await serve.get("/api/devices/router-1")).json()).items.map((i: { id: string }) => i.id)).toEqual(["cpu"]);
    expect((await keyless(pattooPost("switch-1", nowS()))).status).toBe(200);
    // With the key, the same post may write to either.
    expect((await serve.post("/pattoo/api/v1/agent/receive/agent", pattooPost("router-1", nowS() + 1))).status).toBe(200);
  });

  test("keyless posts are rate limited like every ingest", async () => {
    serve = startTestServe({ requestsPerMinute: 2 }, { pattooOpen: true });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await keyless(pattooPost("switch-1", nowS() - i))).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
