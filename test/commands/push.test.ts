import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { adHocSinkName } from "../../src/config/sinks.ts";
import { readSinkState } from "../../src/deliver/sink-state.ts";
import { listSpool } from "../../src/deliver/spool.ts";
import { ok, startFaultServer, type FaultServer } from "../helpers/fault-server.ts";
import { pushHome } from "../helpers/push.ts";

let server: FaultServer;
let home: ReturnType<typeof pushHome>;
beforeEach(() => {
  server = startFaultServer();
});
afterEach(() => {
  server.stop();
  home?.cleanup();
});

const records = (body: string) => {
  const json = JSON.parse(body);
  return Array.isArray(json) ? json : [json];
};
const spooled = () => listSpool(home.spool()).length;

describe("push to a bagtower receiver", () => {
  test("200: delivered, spool empty, headers as SPEC §7, period adopted", async () => {
    home = pushHome({ url: `${server.url}/prod` });
    server.fallback = ok({ status: "ok", accepted: 1, periodSeconds: 300, batchMax: 50 });
    expect(await home.run("push")).toBe(0);
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/prod/logs");
    expect(request!.headers["x-api-key"]).toBe("key-1");
    expect(request!.headers["content-type"]).toBe("application/json");
    const [record] = records(request!.body);
    expect(request!.headers["idempotency-key"]).toBe(record.meta.recordId);
    expect(record.meta.self).toEqual({ spoolDepth: 0, spoolBytes: 0, droppedExpired: 0, droppedFull: 0, droppedRateLimited: 0, rejected: 0, lastError: null });
    expect(spooled()).toBe(0);
    expect(readSinkState(home.ctx, "default")).toMatchObject({ periodSeconds: 300, batchMax: 50, delivered: 1 });
    expect(home.logs.join("")).toContain("the server sets the push period to 300 s");
  });

  test("500: retried http.retries times with backoff, then kept in the spool (exit 75)", async () => {
    home = pushHome({ url: server.url });
    server.fallback = { status: 500, body: '{"error":"database down"}' };
    expect(await home.run("push")).toBe(75);
    expect(server.requests).toHaveLength(3);
    expect(home.sleeps.length).toBe(2);
    for (const [i, ms] of home.sleeps.entries()) expect(ms).toBeLessThan(500 * 2 ** i);
    expect(spooled()).toBe(1);
    expect(readSinkState(home.ctx, "default").lastError).toBe("HTTP 500: database down");
    // The next run delivers both records, oldest first.
    server.fallback = ok();
    expect(await home.run("push")).toBe(0);
    const seqs = server.requests.slice(3).flatMap((r) => records(r.body).map((x) => x.meta.seq));
    expect(seqs).toEqual([1, 2]);
    expect(spooled()).toBe(0);
  });

  test("429 with a short Retry-After is waited for within the run", async () => {
    home = pushHome({ url: server.url });
    server.script({ status: 429, headers: { "Retry-After": "2" } });
    expect(await home.run("push")).toBe(0);
    expect(home.sleeps).toEqual([2000]);
    expect(server.requests).toHaveLength(2);
  });

  test("429 with a long Retry-After: kept, and later runs wait until then without sending", async () => {
    home = pushHome({ url: server.url });
    server.script({ status: 429, headers: { "Retry-After": "600" } });
    expect(await home.run("push")).toBe(75);
    expect(server.requests).toHaveLength(1);
    expect(await home.run("push")).toBe(75); // a minute later: still inside the window
    expect(server.requests).toHaveLength(1);
    expect(spooled()).toBe(2);
    home.clock.advance(600_000);
    expect(await home.run("push")).toBe(0);
    expect(spooled()).toBe(0);
  });

  test("400: moved to rejected/ with the status and message, counted, not retried (exit 65, saying where)", async () => {
    home = pushHome({ url: server.url });
    server.script({ status: 400, body: '{"error":"data.0.val: expected a number"}' });
    expect(await home.run("push")).toBe(65);
    expect(home.logs.join("")).toContain(`default: the server refused 1 record(s) for good; they are in ${join(home.spool(), "rejected")}`);
    expect(server.requests).toHaveLength(1);
    const rejected = join(home.spool(), "rejected");
    const files = readdirSync(rejected).sort();
    expect(files).toHaveLength(2);
    const reason = JSON.parse(readFileSync(join(rejected, files.find((f) => f.endsWith(".reason.json"))!), "utf8"));
    expect(reason).toMatchObject({ status: 400, message: "HTTP 400: data.0.val: expected a number" });
    expect(readSinkState(home.ctx, "default").rejected).toBe(1);
    // The next record goes through: one refusal never blocks the queue.
    expect(await home.run("push")).toBe(0);
    expect(spooled()).toBe(0);
  });

  test("a server that never answers: timeout, kept (exit 75)", async () => {
    home = pushHome({ url: server.url }, { http: { timeoutMs: 200, retries: 1, compress: false } });
    server.fallback = "hang";
    expect(await home.run("push")).toBe(75);
    expect(server.requests).toHaveLength(2);
    expect(readSinkState(home.ctx, "default").lastError).toContain("no answer within 200 ms");
    expect(spooled()).toBe(1);
  });

  test("a connection reset: kept (exit 75)", async () => {
    home = pushHome({ url: server.url }, { http: { timeoutMs: 1000, retries: 1, compress: false } });
    server.fallback = "reset";
    expect(await home.run("push")).toBe(75);
    expect(spooled()).toBe(1);
  });

  test("nothing listening: kept (exit 75)", async () => {
    server.stop();
    home = pushHome({ url: server.url });
    expect(await home.run("push")).toBe(75);
    expect(readSinkState(home.ctx, "default").lastError).toContain("ECONNREFUSED");
  });
});

describe("the spool", () => {
  test("a long outage, then recovery: everything delivered once, in creation order, batched as announced", async () => {
    home = pushHome({ url: server.url }, { http: { timeoutMs: 300, retries: 0, compress: false } });
    server.stop();
    for (let i = 0; i < 12; i++) expect(await home.run("push")).toBe(75);
    expect(spooled()).toBe(12);
    server = startFaultServer(ok({ status: "ok", batchMax: 5 }));
    writeFileSync(join(home.home, "config.json"), readFileSync(join(home.home, "config.json"), "utf8").replaceAll(/127\.0\.0\.1:\d+/g, `127.0.0.1:${server.port}`));
    expect(await home.run("push")).toBe(0);
    // The first request learns batchMax; the rest go five at a time.
    expect(server.requests.map((r) => records(r.body).length)).toEqual([1, 5, 5, 2]);
    const seqs = server.requests.flatMap((r) => records(r.body).map((x) => x.meta.seq));
    expect(seqs).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(spooled()).toBe(0);
  });

  test("a refused batch is resent record by record, so only the bad record is rejected", async () => {
    home = pushHome({ url: server.url }, { http: { timeoutMs: 300, retries: 0, compress: false } });
    server.stop();
    for (let i = 0; i < 4; i++) await home.run("push");
    server = startFaultServer();
    server.decide((r) => {
      const seqs = records(r.body).map((x) => x.meta.seq);
      return seqs.includes(3) ? { status: 422, body: '{"error":"bad record"}' } : ok({ status: "ok", batchMax: 10 });
    });
    writeFileSync(join(home.home, "config.json"), readFileSync(join(home.home, "config.json"), "utf8").replaceAll(/127\.0\.0\.1:\d+/g, `127.0.0.1:${server.port}`));
    expect(await home.run("push")).toBe(65);
    expect(readSinkState(home.ctx, "default").rejected).toBe(1);
    expect(readdirSync(join(home.spool(), "rejected")).filter((f) => !f.endsWith(".reason.json"))).toHaveLength(1);
    expect(readSinkState(home.ctx, "default").delivered).toBe(4);
  });

  test("a corrupt or truncated spool file is moved aside with a warning and never blocks the queue", async () => {
    home = pushHome({ url: server.url });
    server.fallback = "reset";
    await home.run("push");
    const [good] = listSpool(home.spool());
    const corrupt = `${home.clock.now() - 1000}-0000000000-garbage0-25.json`;
    writeFileSync(join(home.spool(), corrupt), '{"deviceId": "x", "unixTi');
    server.fallback = ok();
    expect(await home.run("push")).toBe(0);
    expect(existsSync(join(home.spool(), "corrupt", corrupt))).toBe(true);
    expect(home.logs.join("")).toContain("moved to corrupt/");
    expect(server.requests.map((r) => records(r.body)[0].meta.seq).slice(-2)).toEqual([1, 2]);
    expect(good).toBeDefined();
    expect(spooled()).toBe(0);
  });

  test("records older than spool.expiryMinutes are dropped and counted", async () => {
    home = pushHome({ url: server.url }, { spool: { expiryMinutes: 60 }, http: { timeoutMs: 300, retries: 0, compress: false } });
    server.fallback = { status: 503 };
    await home.run("push");
    await home.run("push");
    home.clock.advance(58.5 * 60_000); // the first record is now 60.5 minutes old, the second 59.5
    server.fallback = ok();
    expect(await home.run("push")).toBe(0);
    expect(readSinkState(home.ctx, "default")).toMatchObject({ droppedExpired: 1, delivered: 2 });
  });

  test("size cap, drop-oldest: the newest records stay", async () => {
    home = pushHome({ url: server.url }, { spool: { maxSizeKb: 16 }, http: { timeoutMs: 300, retries: 0, compress: false } });
    server.fallback = { status: 503 };
    for (let i = 0; i < 15; i++) await home.run("push");
    const left = listSpool(home.spool());
    expect(left.reduce((n, e) => n + e.size, 0)).toBeLessThanOrEqual(16 * 1024);
    const state = readSinkState(home.ctx, "default");
    expect(state.droppedFull).toBe(15 - left.length);
    expect(left.at(-1)!.name).toContain("-0000000015-");
  });

  test("size cap, drop-new: the oldest records stay and the new one is refused", async () => {
    home = pushHome({ url: server.url }, { spool: { maxSizeKb: 16, whenFull: "drop-new" }, http: { timeoutMs: 300, retries: 0, compress: false } });
    server.fallback = { status: 503 };
    for (let i = 0; i < 15; i++) await home.run("push");
    const left = listSpool(home.spool());
    expect(left[0]!.name).toContain("-0000000001-");
    expect(readSinkState(home.ctx, "default").droppedFull).toBe(15 - left.length);
  });

  test("rate limit, strategy spool: over the limit the records wait; strategy drop: they are dropped", async () => {
    home = pushHome({ url: server.url }, { rateLimit: { recordBurstLimit: 2, recordWindowMinutes: 15 } });
    for (let i = 0; i < 3; i++) await home.run("push");
    expect(server.requests).toHaveLength(2);
    expect(spooled()).toBe(1);
    home.cleanup();
    home = pushHome({ url: server.url }, { rateLimit: { recordBurstLimit: 2, recordWindowMinutes: 15, strategy: "drop" } });
    for (let i = 0; i < 3; i++) await home.run("push");
    expect(spooled()).toBe(0);
    expect(readSinkState(home.ctx, "default").droppedRateLimited).toBe(1);
  });

  test("push sends at most flush.maxPerRun records; spool flush has no cap", async () => {
    home = pushHome({ url: server.url }, { flush: { maxPerRun: 3 }, http: { timeoutMs: 300, retries: 0, compress: false } });
    server.fallback = { status: 503 };
    for (let i = 0; i < 6; i++) await home.run("push");
    server.fallback = ok();
    expect(await home.run("push")).toBe(0);
    expect(spooled()).toBe(4);
    expect(await home.run("spool", "flush", "--max", "2")).toBe(0);
    expect(spooled()).toBe(2);
    expect(await home.run("spool", "flush")).toBe(0);
    expect(spooled()).toBe(0);
  });
});

describe("the flush lock", () => {
  test("a live holder: push waits 10 s, leaves its record spooled and exits 0", async () => {
    home = pushHome({ url: server.url });
    const holder = Bun.spawn(["sleep", "30"]);
    try {
      writeFileSync(join(home.home, "state", "flush.lock"), `${holder.pid}\n`);
      expect(await home.run("push")).toBe(0);
      expect(server.requests).toHaveLength(0);
      expect(spooled()).toBe(1);
      expect(home.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000);
      expect(home.logs.join("")).toContain(`another bagtower run (pid ${holder.pid}) is delivering`);
    } finally {
      holder.kill();
    }
    await holder.exited;
    // The holder died without releasing: its stale lock is taken over at once.
    expect(await home.run("push")).toBe(0);
    expect(server.requests).toHaveLength(2);
    expect(existsSync(join(home.home, "state", "flush.lock"))).toBe(false);
  });
});

describe("spool commands", () => {
  test("list, stats and purge", async () => {
    home = pushHome({ url: server.url }, { http: { timeoutMs: 300, retries: 0, compress: false } });
    server.fallback = { status: 503 };
    await home.run("push");
    await home.run("push");
    home.out.length = 0;
    expect(await home.run("spool", "list", "--json")).toBe(0);
    const rows = JSON.parse(home.out.pop()!);
    expect(rows.map((r: { sink: string }) => r.sink)).toEqual(["default", "default"]);
    expect(await home.run("spool", "stats", "--json")).toBe(0);
    expect(JSON.parse(home.out.pop()!)[0]).toMatchObject({ sink: "default", depth: 2, lastError: "HTTP 503" });
    expect(await home.run("spool", "purge")).toBe(2);
    expect(spooled()).toBe(2);
    expect(await home.run("spool", "stats", "--sink", "defualt")).toBe(2);
    expect(home.logs.join("")).toContain('no sink named "defualt". Did you mean default?');
    expect(await home.run("spool", "purge", "--yes")).toBe(0);
    expect(spooled()).toBe(0);
  });

  test("push without any sink is a configuration error naming the fix", async () => {
    home = pushHome({ url: server.url });
    writeFileSync(join(home.home, "config.json"), "{}");
    expect(await home.run("push")).toBe(78);
    expect(home.logs.join("")).toContain("no sink to push to: pass --server URL");
  });

  test("push --server … --save stores the ad-hoc sink and device id", async () => {
    home = pushHome({ url: server.url });
    writeFileSync(join(home.home, "config.json"), '{"tags": {"site": "a"}}');
    expect(await home.run("push", "--server", server.url, "--api-key", "k2", "--device-id", "pi-9", "--save")).toBe(0);
    const saved = JSON.parse(readFileSync(join(home.home, "config.json"), "utf8"));
    // Saved under the ad-hoc queue's own name, so what that push spooled carries on in the same queue.
    expect(saved).toEqual({ tags: { site: "a" }, deviceId: "pi-9", sinks: [{ name: adHocSinkName({ server: server.url }), format: "bagtower", url: server.url, apiKey: "k2" }] });
    expect(records(server.requests[0]!.body)[0].deviceId).toBe("pi-9");
  });
});

describe("push --cron", () => {
  test("a period cron cannot express: runs every minute, skipping until the period has passed", async () => {
    home = pushHome({ url: server.url });
    writeFileSync(join(home.home, "state", "cron.json"), JSON.stringify({ periodSeconds: 420, everyMinute: true, line: "x # bagtower", installedAtMs: 0 }));
    expect(await home.run("push", "--cron")).toBe(0);
    expect(server.requests).toHaveLength(1);
    for (let minute = 1; minute < 6; minute++) expect(await home.run("push", "--cron")).toBe(0); // run() moves the clock a minute
    expect(server.requests).toHaveLength(1);
    home.clock.advance(60_000);
    expect(await home.run("push", "--cron")).toBe(0);
    expect(server.requests).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(home.home, "state", "last-push.json"), "utf8"))).toMatchObject({ exitCode: 0, summary: "default: 1 delivered, 0 spooled" });
  });
});

describe("clocks", () => {
  test("a clock far in the past, far in the future, and one that jumps back: delivered in creation order", async () => {
    home = pushHome({ url: server.url }, { http: { timeoutMs: 300, retries: 0, compress: false } });
    server.fallback = { status: 503 };
    home.clock.set(Date.UTC(2100, 0, 1));
    await home.run("push");
    home.clock.set(Date.UTC(1990, 0, 1)); // jumps back 110 years
    await home.run("push");
    await home.run("push");
    server.fallback = ok();
    expect(await home.run("push")).toBe(0);
    const delivered = server.requests.filter((r) => r.body.startsWith("{")).slice(-4).map((r) => records(r.body)[0]);
    expect(delivered.map((r) => r.meta.seq)).toEqual([1, 2, 3, 4]);
    expect(delivered.map((r) => new Date(r.unixTimestamp * 1000).getUTCFullYear())).toEqual([2100, 1990, 1990, 1990]);
  });
});
