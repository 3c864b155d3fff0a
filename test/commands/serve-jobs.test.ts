// serve's background jobs in-process, through startServe as `bagtower serve` runs them (periods
// shortened, the clock moved by hand): nothing here calls a job by hand, the timers do.
import { afterEach, expect, test } from "bun:test";
import { sampleRecord } from "../helpers/record.ts";
import { startTestServe } from "../helpers/serve.ts";
import { waitFor } from "../helpers/wait.ts";

let serve: ReturnType<typeof startTestServe> | undefined;
let target: ReturnType<typeof Bun.serve> | undefined;
afterEach(async () => {
  await serve?.stop();
  target?.stop(true);
  serve = target = undefined;
});

const nowS = () => Math.floor(serve!.clock.now() / 1000);

test("the down-check job marks a silent device DOWN", async () => {
  serve = startTestServe({ requestsPerMinute: 0 }, { periods: { "down-check": 20 } });
  expect((await serve.post("/logs", JSON.stringify(sampleRecord("pi-quiet", nowS())))).status).toBe(200);
  expect((await (await serve.get("/api/devices/pi-quiet")).json()).device.status).toBe("UP");
  // Silent for more than twice its period (600 s).
  serve.clock.advance(1201_000);
  await waitFor("pi-quiet DOWN", async () => (await (await serve!.get("/api/devices/pi-quiet")).json()).device.status === "DOWN");
});

test("the retention job deletes records older than the retention", async () => {
  serve = startTestServe({ requestsPerMinute: 0 }, { retention: { rawS: 3600, fiveMinuteS: 3600, hourS: 3600 }, dedupWindowS: 3600, periods: { retention: 20 } });
  expect((await serve.post("/logs", JSON.stringify(sampleRecord("pi-old", nowS())))).status).toBe(200);
  expect(serve.store.counts().records).toBe(1);
  serve.clock.advance(2 * 3600_000);
  await waitFor("the record deleted", async () => serve!.store.counts().records === 0);
  await waitFor("the retention log line", async () => serve!.logs.some((line) => /retention: removed \d+ records older than 1h/.test(line)));
});

test("the forward job sends what a target missed once it is back, without a new commit", async () => {
  let up = false;
  const received: string[] = [];
  target = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (!up) return new Response("down for maintenance", { status: 503 });
      const body = await request.json();
      for (const record of Array.isArray(body) ? body : [body]) received.push(record.deviceId);
      return Response.json({ status: "ok" });
    },
  });
  serve = startTestServe(
    { requestsPerMinute: 0 },
    { forward: [{ name: "forward-bagtower", format: "bagtower", url: `http://127.0.0.1:${target.port}/logs` }], periods: { forward: 20 } },
  );
  expect((await serve.post("/logs", JSON.stringify(sampleRecord("pi-fwd", nowS())))).status).toBe(200);
  await waitFor("a failed forward attempt", async () => serve!.forwarder!.status()[0]!.lastError !== null);
  expect(received).toEqual([]);
  up = true;
  // The target has the record before the forwarder has its answer: wait for the forwarder's count.
  await waitFor("the record forwarded", async () => serve!.forwarder!.status()[0]!.forwarded > 0);
  expect(received).toEqual(["pi-fwd"]);
  expect(serve.forwarder!.status()[0]).toMatchObject({ forwarded: 1, skipped: 0 });
});
