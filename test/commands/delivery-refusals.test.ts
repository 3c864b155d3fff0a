// Issue 10 §1: a refused push never silently loses a fleet's data. In-process CLI runs against the
// fault server (for the statuses and hostile replies a real receiver cannot be asked to give).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { adHocSinkName } from "../../src/config/sinks.ts";
import { readSinkState } from "../../src/deliver/sink-state.ts";
import { listSpool } from "../../src/deliver/spool.ts";
import { ok, startFaultServer, type FaultServer } from "../helpers/fault-server.ts";
import { pushHome } from "../helpers/push.ts";
import { waitFor } from "../helpers/wait.ts";

let server: FaultServer;
let other: FaultServer | undefined;
let home: ReturnType<typeof pushHome>;
beforeEach(() => {
  server = startFaultServer();
});
afterEach(() => {
  server.stop();
  other?.stop();
  other = undefined;
  home?.cleanup();
});

const records = (body: string) => {
  const json = JSON.parse(body);
  return Array.isArray(json) ? json : [json];
};
const rejectedFiles = (dir: string) => (existsSync(join(dir, "rejected")) ? readdirSync(join(dir, "rejected")).filter((f) => !f.endsWith(".reason.json")) : []);
const errorLines = () => home.logs.filter((l) => l.startsWith("error: "));

describe("401, 403, 404, 405: the configuration is wrong, not the record", () => {
  for (const [status, body, check] of [
    [401, '{"error":"missing or wrong x-api-key"}', "check --api-key"],
    [403, '{"error":"forbidden"}', "check --api-key"],
    [404, "Not Found", "check the URL"],
    [405, "Method Not Allowed", "check the URL"],
  ] as const) {
    test(`${status}: the records stay spooled, the sink stops for the run, exit 78 with one line`, async () => {
      home = pushHome({ url: `${server.url}/prod` }, { http: { timeoutMs: 1000, retries: 2, compress: false } });
      server.fallback = { status: 503 };
      await home.run("push");
      await home.run("push");
      server.fallback = { status, body };
      home.logs.length = 0;
      const before = server.requests.length;
      expect(await home.run("push")).toBe(78);
      expect(server.requests.length - before).toBe(1); // not retried, not resent record by record
      expect(listSpool(home.spool()).length).toBe(3);
      expect(rejectedFiles(home.spool())).toEqual([]);
      const lines = errorLines();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("sink default:");
      expect(lines[0]).toContain(`${server.url}/prod/logs`);
      expect(lines[0]).toContain(`HTTP ${status}: ${JSON.parse(body.startsWith("{") ? body : JSON.stringify({ error: body })).error}`);
      expect(lines[0]).toContain(check);
      expect(lines[0]).toContain("3 record(s) stay in the spool");
      expect(readSinkState(home.ctx, "default").rejected).toBe(0);
      // Fixed on the server side: everything spooled goes, oldest first.
      server.fallback = ok();
      expect(await home.run("push")).toBe(0);
      expect(server.requests.slice(-4).map((r) => records(r.body)[0].meta.seq)).toEqual([1, 2, 3, 4]);
      expect(listSpool(home.spool()).length).toBe(0);
    });
  }

  test("only the refused sink stops: another sink still delivers, and the run exits 78", async () => {
    home = pushHome({ url: `${server.url}/a` }, {});
    const config = JSON.parse(readFileSync(join(home.home, "config.json"), "utf8"));
    config.sinks.push({ name: "b", format: "bagtower", url: `${server.url}/b`, apiKey: "key-1" });
    writeFileSync(join(home.home, "config.json"), JSON.stringify(config));
    server.decide((r) => (r.path.startsWith("/a/") ? { status: 401, body: '{"error":"bad key"}' } : undefined));
    expect(await home.run("push")).toBe(78);
    expect(listSpool(home.spool("default")).length).toBe(1);
    expect(listSpool(home.spool("b")).length).toBe(0);
  });

  test("spool flush exits 78 the same way", async () => {
    home = pushHome({ url: server.url });
    server.fallback = { status: 503 };
    await home.run("push");
    server.fallback = { status: 401, body: '{"error":"bad key"}' };
    expect(await home.run("spool", "flush")).toBe(78);
    expect(listSpool(home.spool()).length).toBe(1);
  });
});

describe("exit codes when sinks differ: 78 > 65 > 75 > 0", () => {
  const twoSinks = () => {
    home = pushHome({ url: `${server.url}/a` }, { http: { timeoutMs: 1000, retries: 0, compress: false } });
    const config = JSON.parse(readFileSync(join(home.home, "config.json"), "utf8"));
    config.sinks.push({ name: "b", format: "bagtower", url: `${server.url}/b`, apiKey: "key-1" });
    writeFileSync(join(home.home, "config.json"), JSON.stringify(config));
  };
  test("a refused configuration (78) wins over a rejected record (65)", async () => {
    twoSinks();
    server.decide((r) => (r.path.startsWith("/a/") ? { status: 403 } : { status: 400, body: '{"error":"bad"}' }));
    expect(await home.run("push")).toBe(78);
  });
  test("a rejected record (65) wins over a sink left for later (75)", async () => {
    twoSinks();
    server.decide((r) => (r.path.startsWith("/a/") ? { status: 422, body: '{"error":"bad"}' } : { status: 503 }));
    expect(await home.run("push")).toBe(65);
    expect(home.logs.join("")).toContain(`default: the server refused 1 record(s) for good; they are in ${join(home.spool(), "rejected")}`);
  });
  test("413 for one record still moves it to rejected/ (65)", async () => {
    home = pushHome({ url: server.url });
    server.script({ status: 413, body: '{"error":"too large"}' });
    expect(await home.run("push")).toBe(65);
    expect(rejectedFiles(home.spool())).toHaveLength(1);
  });
});

describe("spool list --rejected and spool requeue", () => {
  test("list shows the status and the server's reason; requeue by recordId prefix, file name or --all sends them again", async () => {
    home = pushHome({ url: server.url });
    server.fallback = { status: 400, body: '{"error":"data.0.val: expected a number"}' };
    for (let i = 0; i < 3; i++) expect(await home.run("push")).toBe(65);
    home.out.length = 0;
    expect(await home.run("spool", "list", "--rejected", "--json")).toBe(0);
    const rows = JSON.parse(home.out.pop()!) as { file: string; status: number; reason: string; server: string }[];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ status: 400, reason: "HTTP 400: data.0.val: expected a number", server: server.url });
    expect(await home.run("spool", "list", "--rejected")).toBe(0);
    expect(home.out.pop()).toContain("\t400\tHTTP 400: data.0.val: expected a number");

    expect(await home.run("spool", "requeue")).toBe(2);
    expect(await home.run("spool", "requeue", "--all", rows[0]!.file)).toBe(2);
    expect(await home.run("spool", "requeue", "nosuchrecord")).toBe(2);
    expect(home.logs.join("")).toContain("no rejected record matches nosuchrecord");
    expect(rejectedFiles(home.spool())).toHaveLength(3);

    server.fallback = ok();
    const first = JSON.parse(readFileSync(join(home.spool(), "rejected", rows[0]!.file), "utf8")).meta.recordId as string;
    expect(await home.run("spool", "requeue", first.slice(0, 10), rows[1]!.file)).toBe(0);
    expect(listSpool(home.spool()).length).toBe(2);
    expect(rejectedFiles(home.spool())).toEqual([rows[2]!.file]);
    expect(readdirSync(join(home.spool(), "rejected")).filter((f) => f.endsWith(".reason.json"))).toHaveLength(1);
    expect(await home.run("spool", "flush")).toBe(0);
    expect(await home.run("spool", "requeue", "--sink", "default", "--all")).toBe(0);
    expect(await home.run("spool", "flush")).toBe(0);
    const delivered = server.requests.filter((r) => r.headers["idempotency-key"]).slice(-3).map((r) => records(r.body)[0].meta.seq);
    expect(delivered.sort()).toEqual([1, 2, 3]);
    expect(rejectedFiles(home.spool())).toEqual([]);
    expect(listSpool(home.spool()).length).toBe(0);
  });

  test("a requeued record older than spool.expiryMinutes is not dropped at once: its expiry counts from the requeue", async () => {
    home = pushHome({ url: server.url }, { spool: { expiryMinutes: 60 } });
    server.script({ status: 400, body: '{"error":"bad"}' });
    expect(await home.run("push")).toBe(65);
    home.clock.advance(2 * 3600_000);
    expect(await home.run("spool", "requeue", "--all")).toBe(0);
    expect(await home.run("spool", "flush")).toBe(0);
    expect(readSinkState(home.ctx, "default")).toMatchObject({ droppedExpired: 0, delivered: 1 });
  });
});

describe("ad-hoc --server queues belong to their server", () => {
  test("push --server A (down), then push --server B: B gets only its own record; A's waits for A", async () => {
    other = startFaultServer();
    home = pushHome({ url: server.url }, { http: { timeoutMs: 1000, retries: 0, compress: false } });
    writeFileSync(join(home.home, "config.json"), JSON.stringify({ collect: { rootfs: JSON.parse(readFileSync(join(home.home, "config.json"), "utf8")).collect.rootfs }, http: { timeoutMs: 1000, retries: 0, compress: false } }));
    const a = server.url;
    const b = other.url;
    server.fallback = { status: 503 };
    expect(await home.run("push", "--server", a, "--api-key", "ka")).toBe(75);
    expect(await home.run("push", "--server", `${b}/`, "--api-key", "kb")).toBe(0);
    expect(other.requests).toHaveLength(1);
    expect(records(other.requests[0]!.body)[0].meta.seq).toBe(2);
    const queueA = adHocSinkName({ server: a });
    expect(queueA).toMatch(/^127_0_0_1_\d+-[0-9a-f]{8}$/);
    expect(listSpool(home.spool(queueA)).length).toBe(1);
    expect(existsSync(home.spool("default"))).toBe(false);

    home.out.length = 0;
    expect(await home.run("spool", "stats", "--json")).toBe(0);
    const stats = JSON.parse(home.out.pop()!) as { sink: string; server: string; depth: number }[];
    expect(stats.find((s) => s.sink === queueA)).toMatchObject({ server: a, depth: 1 });
    expect(stats.find((s) => s.sink === adHocSinkName({ server: b }))).toMatchObject({ server: b, depth: 0 });
    expect(await home.run("spool", "list", "--json")).toBe(0);
    expect(JSON.parse(home.out.pop()!)).toEqual([expect.objectContaining({ sink: queueA, server: a })]);

    // Back at A (spelled differently): its queue, and only its queue, goes there.
    server.fallback = ok();
    expect(await home.run("spool", "flush", "--server", `${a}//`, "--api-key", "ka")).toBe(0);
    expect(records(server.requests.at(-1)!.body)[0].meta.seq).toBe(1);
    expect(other.requests).toHaveLength(1);
    expect(listSpool(home.spool(queueA)).length).toBe(0);
  });

  test("--save over a sink config.json already had for the same server: its queue is carried over, not stranded", async () => {
    home = pushHome({ url: `${server.url}/prod` }, { http: { timeoutMs: 1000, retries: 0, compress: false } });
    server.fallback = { status: 503 };
    await home.run("push");
    await home.run("push");
    expect(listSpool(home.spool("default")).length).toBe(2);
    server.fallback = ok();
    expect(await home.run("push", "--server", `${server.url}/prod/`, "--api-key", "key-2", "--save")).toBe(0);
    const name = adHocSinkName({ server: `${server.url}/prod` });
    expect(JSON.parse(readFileSync(join(home.home, "config.json"), "utf8")).sinks.map((s: { name: string }) => s.name)).toEqual([name]);
    expect(home.logs.join("")).toContain(`moved 2 spooled record(s) of sink default (the same server) into ${name}`);
    expect(server.requests.slice(-3).map((r) => records(r.body)[0].meta.seq)).toEqual([1, 2, 3]);
    expect(listSpool(home.spool("default")).length).toBe(0);
    expect(listSpool(home.spool(name)).length).toBe(0);
  });

  test("the queue name leaves credentials out: a rotated key keeps the queue; another path or database does not", () => {
    const base = adHocSinkName({ server: "https://api.example/prod" });
    expect(adHocSinkName({ server: "https://API.example/prod/" })).toBe(base);
    expect(adHocSinkName({ server: "https://user:pw@api.example/prod" })).toBe(base);
    expect(adHocSinkName({ server: "https://api.example/prod", apiKey: "other" })).toBe(base);
    expect(adHocSinkName({ server: "https://api.example/staging" })).not.toBe(base);
    expect(adHocSinkName({ server: "http://vm:8428", database: "a" })).not.toBe(adHocSinkName({ server: "http://vm:8428", database: "b" }));
    expect(base).toMatch(/^api_example-[0-9a-f]{8}$/);
  });
});

describe("telemetrics and pattoo send the configured key", () => {
  test("--api-key becomes X-Telemetry-TID (telemetrics) and x-api-key (pattoo)", async () => {
    home = pushHome({ url: server.url });
    server.fallback = { status: 201, body: "Record submitted" };
    expect(await home.run("push", "--server", server.url, "--format", "telemetrics", "--api-key", "tid-key-1")).toBe(0);
    expect(server.requests.at(-1)!.headers["x-telemetry-tid"]).toBe("tid-key-1");
    server.fallback = ok();
    expect(await home.run("push", "--server", server.url, "--format", "pattoo", "--api-key", "pattoo-key-1")).toBe(0);
    expect(server.requests.at(-1)!.headers["x-api-key"]).toBe("pattoo-key-1");
  });

  test("a sink headers entry still overrides the key, whatever its case", async () => {
    home = pushHome({ url: server.url, format: "telemetrics", apiKey: "tid-key-1", headers: { "x-telemetry-tid": "from-headers" } });
    server.fallback = { status: 201, body: "Record submitted" };
    expect(await home.run("push")).toBe(0);
    expect(server.requests[0]!.headers["x-telemetry-tid"]).toBe("from-headers");
  });
});

describe("hostile replies", () => {
  test("a huge Retry-After is capped at the sink's period (10 min by default)", async () => {
    home = pushHome({ url: server.url });
    server.script({ status: 503, headers: { "Retry-After": "999999999" } });
    expect(await home.run("push")).toBe(75);
    const notBefore = readSinkState(home.ctx, "default").notBeforeMs!;
    expect(notBefore - (home.clock.now() - 60_000)).toBeLessThanOrEqual(600_000);
    home.clock.advance(600_000);
    expect(await home.run("push")).toBe(0);
    expect(listSpool(home.spool()).length).toBe(0);
  });

  test("…and at the period the server set, and a stored far-future wait is cut down too", async () => {
    home = pushHome({ url: server.url });
    server.fallback = ok({ status: "ok", periodSeconds: 120 });
    server.script(ok({ status: "ok", periodSeconds: 120 }), { status: 429, headers: { "Retry-After": "86400" } });
    expect(await home.run("push")).toBe(0);
    expect(await home.run("push")).toBe(75);
    home.clock.advance(120_000);
    expect(await home.run("push")).toBe(0);
    // A wait written by an older version (or before the clock jumped back) holds at most one period.
    const state = readSinkState(home.ctx, "default");
    writeFileSync(join(home.home, "state", "sink-default.json"), JSON.stringify({ ...state, notBeforeMs: Date.UTC(3000, 0, 1) }));
    expect(await home.run("push")).toBe(75);
    home.clock.advance(120_000);
    expect(await home.run("push")).toBe(0);
  });

  test("a 200 MB reply is read only up to 64 KiB: the client hangs up, the record counts as delivered", async () => {
    home = pushHome({ url: server.url }, { http: { timeoutMs: 10_000, retries: 0, compress: false } });
    server.script({ status: 200, stream: { chunk: "x".repeat(64 * 1024), count: 3200 } });
    expect(await home.run("push")).toBe(0);
    expect(listSpool(home.spool()).length).toBe(0);
    const [progress] = server.streams;
    await waitFor("the client to hang up", () => progress!.closedByClient);
    expect(progress!.done).toBe(false);
    expect(progress!.bytes).toBeLessThan(progress!.total / 10);
  });

  test("a 200 MB refusal: the message is the start of it, the record is rejected", async () => {
    home = pushHome({ url: server.url }, { http: { timeoutMs: 10_000, retries: 0, compress: false } });
    server.script({ status: 400, stream: { chunk: "y".repeat(64 * 1024), count: 3200 } });
    expect(await home.run("push")).toBe(65);
    const reason = readFileSync(join(home.spool(), "rejected", readdirSync(join(home.spool(), "rejected")).find((f) => f.endsWith(".reason.json"))!), "utf8");
    expect(JSON.parse(reason).message).toBe(`HTTP 400: ${"y".repeat(300)}`);
    await waitFor("the client to hang up", () => server.streams[0]!.closedByClient);
  });

  test("a reply that drips one byte at a time: http.timeoutMs covers the body, the record stays spooled (75)", async () => {
    home = pushHome({ url: server.url }, { http: { timeoutMs: 300, retries: 0, compress: false } });
    server.script({ status: 200, stream: { chunk: "z", count: 1_000_000, intervalMs: 20 } });
    expect(await home.run("push")).toBe(75);
    expect(readSinkState(home.ctx, "default").lastError).toContain("no answer within 300 ms");
    expect(listSpool(home.spool()).length).toBe(1);
    await waitFor("the client to hang up", () => server.streams[0]!.closedByClient);
    expect(server.streams[0]!.done).toBe(false);
  });
});

describe("credentials in a sink URL are redacted", () => {
  test("user:pass@, ?api_key= and a key the server echoes never reach a log line, the state file, rejected/ or meta.self.lastError", async () => {
    const secretUrl = `http://bob:hunter2@127.0.0.1:${server.port}/prod?api_key=s3cret-key&token=t0ken`;
    home = pushHome({ url: secretUrl, apiKey: "echoed-key-123" }, { http: { timeoutMs: 300, retries: 0, compress: false } });
    server.fallback = "reset";
    expect(await home.run("push")).toBe(75);
    server.fallback = { status: 404, body: `no route for ${secretUrl}` };
    expect(await home.run("push", "--verbose")).toBe(78);
    server.fallback = { status: 400, body: `{"error":"bad record at ${secretUrl} for key echoed-key-123"}` };
    expect(await home.run("push")).toBe(65);
    server.fallback = ok();
    expect(await home.run("push")).toBe(0);
    const lastRecord = records(server.requests.at(-1)!.body).at(-1);
    const files = [join(home.home, "state", "sink-default.json"), join(home.home, "state", "last-push.json"), join(home.spool(), "queue.json")];
    const rejected = join(home.spool(), "rejected");
    for (const f of readdirSync(rejected)) if (f.endsWith(".reason.json")) files.push(join(rejected, f));
    const texts = [home.logs.join(""), JSON.stringify(lastRecord.meta.self), ...files.filter(existsSync).map((f) => readFileSync(f, "utf8"))];
    for (const text of texts) {
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("s3cret-key");
      expect(text).not.toContain("t0ken");
      expect(text).not.toContain("echoed-key-123");
    }
    expect(home.logs.join("")).toContain("api_key=***");
    expect(home.logs.join("")).toContain("//***@127.0.0.1");
  });
});
