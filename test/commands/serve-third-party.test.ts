// bagtower JSON from senders that are not bagtower (a microcontroller, a script): every meta field
// optional, a short recordId enough for deduplication, over a real serve on port 0 and SQLite.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { INGEST_KEY, startTestServe } from "../helpers/serve.ts";
import { waitFor } from "../helpers/wait.ts";

let serve: ReturnType<typeof startTestServe>;
let target: ReturnType<typeof startTestServe> | undefined;
beforeEach(() => {
  serve = startTestServe({ requestsPerMinute: 0 });
});
afterEach(async () => {
  await serve.stop();
  await target?.stop();
  target = undefined;
});

const nowS = () => Math.floor(serve.clock.now() / 1000);
const sketch = (meta?: Record<string, unknown>, deviceId = "esp32-7") =>
  JSON.stringify({ deviceId, unixTimestamp: nowS(), data: [{ id: "temperature", type: "celsius", val: 21.5 }], ...(meta === undefined ? {} : { meta }) });
const records = async () => (await (await serve.get("/healthz")).json()).records as number;

describe("meta from third-party senders", () => {
  test.each([
    ["meta: {recordId} alone", { recordId: "a1b2" }],
    ["a one-character recordId", { recordId: "7" }],
    ["a UUID", { recordId: "0b5e2f6c-3c1d-4a57-9d0e-2f1b7c9a4e11" }],
    ["128 characters", { recordId: "r".repeat(128) }],
  ])("%s: accepted, and the same record again is a duplicate, stored once", async (_, meta) => {
    const first = await serve.post("/logs", sketch(meta));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await (await serve.post("/logs", sketch(meta))).json()).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await records()).toBe(1);
    const device = await (await serve.get("/api/devices/esp32-7")).json();
    expect(device.items).toEqual([{ id: "temperature", type: "celsius", shape: "scalar", keys: [], latest: 21.5 }]);
  });

  test("meta: {} and meta with only tags are accepted; without a recordId nothing is deduplicated", async () => {
    expect((await serve.post("/logs", sketch({}))).status).toBe(200);
    expect((await serve.post("/logs", sketch({ tags: { room: "attic" } }))).status).toBe(200);
    expect(await records()).toBe(2);
  });

  test("meta.machineId alone names the device when there is no deviceId", async () => {
    const res = await serve.post("/logs", JSON.stringify({ unixTimestamp: nowS(), data: [], meta: { machineId: "esp32_abc" } }));
    expect(res.status).toBe(200);
    expect((await serve.get("/api/devices/esp32_abc")).status).toBe(200);
  });

  test.each([
    ["an empty recordId", { recordId: "" }, "meta.recordId: expected 1–128 characters without spaces or control characters"],
    ["129 characters", { recordId: "r".repeat(129) }, "meta.recordId: expected 1–128 characters without spaces or control characters"],
    ["a space", { recordId: "a b" }, "meta.recordId: expected 1–128 characters without spaces or control characters"],
    ["a control character", { recordId: "a\u0001b" }, "meta.recordId: expected 1–128 characters without spaces or control characters"],
    ["a number", { recordId: 42 }, "meta.recordId: expected a string"],
    ["a field of the wrong type", { recordId: "ok-1", seq: "1" }, "meta.seq"],
  ])("%s → 400 naming it, nothing stored", async (_, meta, message) => {
    const res = await serve.post("/logs", sketch(meta));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(message);
    expect(await records()).toBe(0);
  });

  test("a partial meta is made whole for forwarding: a telemetrics target gets the sketch's record", async () => {
    target = startTestServe({ requestsPerMinute: 0 });
    target.clock.set(serve.clock.now());
    await serve.stop();
    serve = startTestServe({ requestsPerMinute: 0 }, { forward: [{ name: "to-telemetrics", format: "telemetrics", url: `${target.url}/v3/collector`, apiKey: INGEST_KEY }], periods: { forward: 20 } });
    serve.clock.set(target.clock.now());
    expect((await serve.post("/logs", sketch({ recordId: "x1" }))).status).toBe(200);
    await waitFor("the record forwarded, or an error", async () => serve.forwarder!.status()[0]!.forwarded > 0 || serve.forwarder!.status()[0]!.lastError !== null);
    expect(serve.forwarder!.status()[0]).toMatchObject({ forwarded: 1, lastError: null });
    const items = Object.fromEntries(((await (await target.get("/api/devices/esp32-7")).json()).items as { id: string; latest: unknown }[]).map((i) => [i.id, i.latest]));
    expect(items.temperature).toBe(21.5);
    expect(items.telemetrics).toMatchObject({ machine_id: "esp32-7", record_format_version: "4" });
  });
});
