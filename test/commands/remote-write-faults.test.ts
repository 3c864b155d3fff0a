// The remote_write sink against what a receiver can answer besides 204 (fault server only; the real
// Prometheus and VictoriaMetrics are in test/e2e/remote-write.test.ts): 5xx and 429 keep the
// records spooled for a later run, 400 moves the one refused record to rejected/ and lets the
// others of its batch through, 401/403/404 stop the sink with exit 78 and keep everything.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { decodeRemoteWriteBody } from "../../src/formats/remote-write.ts";
import { parseForward } from "../../src/commands/serve.ts";
import { startFaultServer, type FaultServer } from "../helpers/fault-server.ts";
import { pushHome } from "../helpers/push.ts";
import { sampleRecord } from "../helpers/record.ts";
import { startTestServe } from "../helpers/serve.ts";
import { waitFor } from "../helpers/wait.ts";

let server: FaultServer;
let home: ReturnType<typeof pushHome> | undefined;
beforeEach(() => {
  server = startFaultServer({ status: 204 });
});
afterEach(() => {
  server.stop();
  home?.cleanup();
  home = undefined;
});

// Record files only: not the sink's state nor a rejected record's .reason.json.
const _RECORD = /^\d{13}-\d{10}-[A-Za-z0-9_]+-\d+\.json$/;
const spooled = (h: NonNullable<typeof home>) => readdirSync(h.spool()).filter((f) => _RECORD.test(f));
const rejected = (h: NonNullable<typeof home>) => {
  try {
    return readdirSync(join(h.spool(), "rejected")).filter((f) => _RECORD.test(f));
  } catch {
    return [];
  }
};
/** The record times (ms) of one request: the timestamps its series carry. */
const timesOf = (index: number) => [...new Set(decodeRemoteWriteBody(server.requests[index]!.raw).flatMap((s) => s.samples.map((x) => x.timestampMs)))].sort();

test("the request: POST to the URL as given, the remote-write headers, the key as a bearer token, a snappy protobuf body with the record's time", async () => {
  home = pushHome({ format: "remote_write", url: `${server.url}/api/v1/write`, apiKey: "rw-token", headers: { "X-Scope-OrgID": "fleet-1" } });
  expect(await home.run("push")).toBe(0);
  const request = server.requests[0]!;
  expect(request.method).toBe("POST");
  expect(request.path).toBe("/api/v1/write");
  expect(request.headers).toMatchObject({
    "content-type": "application/x-protobuf",
    "content-encoding": "snappy",
    "x-prometheus-remote-write-version": "0.1.0",
    authorization: "Bearer rw-token",
    "x-scope-orgid": "fleet-1",
  });
  // http.compress is on in this home: a remote-write body is not gzipped on top of its snappy.
  expect(timesOf(0)).toEqual([Date.UTC(2026, 10, 22, 12, 0, 0)]);
});

test("500: the record stays spooled (exit 75), and goes with the next record in one request once the receiver is back", async () => {
  home = pushHome({ format: "remote_write", url: `${server.url}/api/v1/write` }, { http: { timeoutMs: 1000, retries: 0, compress: true } });
  server.script({ status: 500, body: "tsdb: disk full" });
  expect(await home.run("push")).toBe(75);
  expect(home.logs.join("\n")).toMatch(/HTTP 500: tsdb: disk full/);
  expect(spooled(home)).toHaveLength(1);
  expect(await home.run("push")).toBe(0);
  expect(spooled(home)).toHaveLength(0);
  expect(server.requests).toHaveLength(2);
  expect(timesOf(1)).toEqual([Date.UTC(2026, 10, 22, 12, 0, 0), Date.UTC(2026, 10, 22, 12, 1, 0)]);
});

test("429 with Retry-After: waited out within the run (up to its cap), then delivered", async () => {
  home = pushHome({ format: "remote_write", url: `${server.url}/api/v1/write` }, { http: { timeoutMs: 1000, retries: 2, compress: true } });
  server.script({ status: 429, headers: { "Retry-After": "7" }, body: "too many requests" });
  expect(await home.run("push")).toBe(0);
  expect(home.sleeps).toContain(7000);
  expect(server.requests).toHaveLength(2);
});

test("400 on a batch: records go one by one, only the refused one moves to rejected/ with the reason (exit 65); the next run is back to batches", async () => {
  home = pushHome({ format: "remote_write", url: `${server.url}/api/v1/write` }, { http: { timeoutMs: 1000, retries: 0, compress: true } });
  server.script({ status: 503 }, { status: 503 });
  expect(await home.run("push")).toBe(75);
  expect(await home.run("push")).toBe(75);
  // Three records now: the batch is refused, then the first alone is refused and the others taken.
  server.script({ status: 400, body: "out of order sample" }, { status: 400, body: "out of order sample" });
  expect(await home.run("push")).toBe(65);
  expect(server.requests.slice(2).map((_, i) => timesOf(i + 2).length)).toEqual([3, 1, 1, 1]);
  expect(rejected(home)).toHaveLength(1);
  expect(spooled(home)).toHaveLength(0);
  expect(home.logs.join("\n")).toMatch(/HTTP 400: out of order sample\); moved to rejected/);
  const before = server.requests.length;
  expect(await home.run("push")).toBe(0);
  expect(server.requests.length).toBe(before + 1);
});

for (const status of [401, 403, 404]) {
  test(`${status}: a configuration refusal, exit 78, the record kept for when the URL or key is fixed`, async () => {
    home = pushHome({ format: "remote_write", url: `${server.url}/api/v1/write` });
    server.script({ status, body: "unauthorized" });
    expect(await home.run("push")).toBe(78);
    expect(spooled(home)).toHaveLength(1);
    expect(rejected(home)).toHaveLength(0);
  });
}

test("serve --forward takes remote_write=URL as the write endpoint; an unknown format names remote_write among the choices", () => {
  expect(parseForward("remote_write=http://127.0.0.1:8428/api/v1/write")).toMatchObject({ format: "remote_write", url: "http://127.0.0.1:8428/api/v1/write" });
  expect(() => parseForward("remotewrite=http://x/api/v1/write")).toThrow(/remote_write/);
});

test("serve --forward: a batch the target refuses with 400 goes again record by record; only the refused one is skipped", async () => {
  server.fallback = { status: 503, body: "starting" };
  const serve = startTestServe({ requestsPerMinute: 0 }, { forward: [{ name: "forward-remote_write", format: "remote_write", url: `${server.url}/api/v1/write` }], periods: { forward: 20 } });
  try {
    const nowS = Math.floor(serve.clock.now() / 1000);
    for (const [i, device] of ["rw-a", "rw-bad", "rw-c"].entries()) expect((await serve.post("/logs", JSON.stringify(sampleRecord(device, nowS - 30 + i)))).status).toBe(200);
    const devices = (index: number) => new Set(decodeRemoteWriteBody(server.requests[index]!.raw).flatMap((s) => s.labels.filter(([k]) => k === "device").map(([, v]) => v)));
    // While the target is unavailable the three wait and are tried as one batch.
    await waitFor("one forward attempt carrying all three records", () => server.requests.some((_, i) => devices(i).size === 3), 10_000);
    server.decide((request) => (decodeRemoteWriteBody(request.raw).some((s) => s.labels.some(([k, v]) => k === "device" && v === "rw-bad")) ? { status: 400, body: "out of order sample" } : { status: 204 }));
    await waitFor("the batch settled", () => serve.forwarder!.status()[0]!.forwarded + serve.forwarder!.status()[0]!.skipped === 3, 10_000);
    expect(serve.forwarder!.status()[0]).toMatchObject({ forwarded: 2, skipped: 1, lastError: "HTTP 400: out of order sample" });
    expect(serve.logs.join("\n")).toMatch(/forward forward-remote_write: the target refused 1 record\(s\) \(HTTP 400: out of order sample\); skipped/);
  } finally {
    await serve.stop();
  }
});
