// Reliability under abuse (SPEC §12), in the short form CI runs; `npm run torture` runs the same
// with larger counts (BAGTOWER_TORTURE=full). Each test prints what it tried and what survived.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listSpool, readSpooled } from "../../src/deliver/spool.ts";
import { BINARY, buildBinary } from "../helpers/binary.ts";
import { FIXTURES, tempDir } from "../helpers/context.ts";
import { SERVE_KEY, startServeBinary } from "../helpers/serve-binary.ts";
import { sampleRecord } from "../helpers/record.ts";
import { storedRecordHashes, timesStored } from "../helpers/stored-records.ts";
import { waitFor } from "../helpers/wait.ts";

const FULL = process.env.BAGTOWER_TORTURE === "full";
const report = (what: string, rows: Record<string, number | string>) => console.log(`torture | ${what} | ${Object.entries(rows).map(([k, v]) => `${k}=${v}`).join(" ")}`);

beforeAll(async () => {
  await buildBinary();
}, 60_000);

function canMount(): boolean {
  const dir = tempDir("bagtower-mount-probe-");
  try {
    return Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.dir], { stderr: "ignore" }).exitCode === 0 && Bun.spawnSync(["umount", dir.dir]).exitCode === 0;
  } finally {
    dir.cleanup();
  }
}
const mountable = process.getuid?.() === 0 && canMount();

describe("a full disk", () => {
  let mnt = "";
  beforeAll(() => {
    if (!mountable) return;
    mnt = tempDir("bagtower-full-").dir;
    if (!mnt) return;
    Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt]);
  });
  afterAll(() => {
    if (!mnt) return;
    Bun.spawnSync(["umount", mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  test.skipIf(!mountable)("push on a full spool filesystem: a clear error, nothing truncated, recovery once space returns", async () => {
    const home = join(mnt, "home");
    mkdirSync(home);
    const received: string[] = [];
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: async (r) => (received.push(await r.text()), Response.json({ status: "ok" })) });
    const port = server.port!;
    server.stop(true); // down at first: records pile up in the spool
    const config = (p: number) => JSON.stringify({ collect: { rootfs: join(FIXTURES, "pi4") }, sinks: [{ name: "default", format: "bagtower", url: `http://127.0.0.1:${p}` }], http: { timeoutMs: 500, retries: 0, compress: false } });
    writeFileSync(join(home, "config.json"), config(port));
    const env = { PATH: process.env.PATH, BAGTOWER_HOME: home };
    // Fill the filesystem, leaving room for a handful of records.
    writeFileSync(join(mnt, "filler"), Buffer.alloc(256 * 1024 - 40 * 1024));
    let runs = 0;
    let last = { code: 0, stderr: "" };
    const errors = new Set<string>();
    while (runs < 100) {
      runs++;
      const r = Bun.spawnSync([BINARY, "push"], { env, stderr: "pipe" });
      last = { code: r.exitCode, stderr: r.stderr.toString() };
      if (last.stderr.includes("ENOSPC")) errors.add(last.stderr.trim());
      if (last.code !== 75) break;
    }
    expect({ runs, ...last }).toMatchObject({ code: 1, stderr: expect.stringContaining("the record could not be written (ENOSPC") });
    // Every message on the way was one clear line, never a stack or an "unexpected error".
    for (const message of errors) {
      expect(message.split("\n")).toHaveLength(1);
      expect(message).not.toContain("unexpected error");
    }
    const dir = join(home, "spool", "default");
    const spooled = listSpool(dir);
    for (const entry of spooled) readSpooled(entry); // every file is a whole record
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    // Space returns and the server is back: everything spooled is delivered.
    rmSync(join(mnt, "filler"));
    const back = Bun.serve({ hostname: "127.0.0.1", port, fetch: async (r) => (received.push(await r.text()), Response.json({ status: "ok" })) });
    try {
      // Async: this process serves the receiver, so it must not block while push runs.
      const r = Bun.spawn([BINARY, "push"], { env, stderr: "pipe" });
      expect(await r.exited).toBe(0);
      expect(listSpool(dir)).toEqual([]);
      expect(received.length).toBe(spooled.length + 1);
      report("disk full", { runs, spooledBeforeFull: spooled.length, deliveredAfter: received.length, truncated: 0 });
    } finally {
      back.stop(true);
    }
  }, 60_000);
});

describe("serve killed during heavy ingest", () => {
  test("every acknowledged record is in the database after a SIGKILL", async () => {
    const serve = await startServeBinary();
    const acknowledged = new Set<string>();
    let sent = 0;
    let stop = false;
    const client = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const record = sampleRecord(`dev-${n}`, 1795400000 + i);
        sent++;
        try {
          const res = await fetch(`${serve.url}/logs`, { method: "POST", body: JSON.stringify(record), headers: { "x-api-key": SERVE_KEY } });
          if (res.status === 200) acknowledged.add(record.meta.recordId);
        } catch {
          return; // the server is gone
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, n) => client(n));
    await waitFor("records acknowledged under load", () => acknowledged.size >= (FULL ? 5000 : 500), 50_000);
    serve.proc.kill("SIGKILL");
    stop = true;
    await serve.proc.exited;
    await Promise.all(clients);
    const hashes = storedRecordHashes(join(serve.dir, "serve.db"));
    const missing = [...acknowledged].filter((id) => timesStored(hashes, id) === 0);
    report("serve SIGKILL", { sent, acknowledged: acknowledged.size, stored: [...hashes.values()].reduce((a, b) => a + b, 0), missing: missing.length });
    expect(missing).toEqual([]);
    await serve.stop();
  }, 60_000);
});


describe("a fault-injecting proxy between push and serve", () => {
  // How long a run takes under these faults is measured by bench/push-faults.ts: a test never asserts a wall-clock time.
  test("latency, resets, 5xx bursts, 429 storms, answers that never come: nothing lost, nothing duplicated", async () => {
    const { faultMix, startFaultServer } = await import("../helpers/fault-server.ts");
    const serve = await startServeBinary();
    const proxy = startFaultServer();
    const runs = FULL ? 120 : 25;
    const mix = faultMix(serve.url);
    proxy.decide(mix.decide);
    const faults = mix.chosen;
    const { dir: home, cleanup } = tempDir("bagtower-proxy-");
    writeFileSync(join(home, "config.json"), JSON.stringify({
      collect: { rootfs: join(FIXTURES, "pi4"), cpuSampleMs: 10 },
      sinks: [{ name: "default", format: "bagtower", url: proxy.url, apiKey: SERVE_KEY }],
      http: { timeoutMs: 1000, retries: 1, compress: false },
    }));
    const env = { PATH: process.env.PATH, BAGTOWER_HOME: home };
    const produced: string[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        const p = Bun.spawn([BINARY, "push", "--json", "--quiet"], { env, stdout: "pipe", stderr: "ignore" });
        const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
        expect([0, 75]).toContain(code);
        produced.push(JSON.parse(out).recordId);
      }
      // The network heals: one flush delivers the rest.
      proxy.decide(() => ({ proxy: serve.url }));
      const flush = Bun.spawn([BINARY, "spool", "flush"], { env, stdout: "ignore", stderr: "pipe" });
      const [flushLog, flushCode] = await Promise.all([new Response(flush.stderr).text(), flush.exited]);
      expect({ flushCode, flushLog }).toMatchObject({ flushCode: 0 });
      const hashes = storedRecordHashes(join(serve.dir, "serve.db"));
      const lost = produced.filter((id) => timesStored(hashes, id) === 0);
      const twice = produced.filter((id) => timesStored(hashes, id) > 1);
      report("fault proxy", { runs, requests: proxy.requests.length, ...faults, produced: produced.length, stored: hashes.size, lost: lost.length, duplicated: twice.length });
      expect(lost).toEqual([]);
      expect(twice).toEqual([]);
      expect([...hashes.values()].reduce((a, b) => a + b, 0)).toBe(produced.length);
    } finally {
      proxy.stop();
      await serve.stop();
      cleanup();
    }
  }, 300_000);
});

describe("push killed at random instants against a live serve", () => {
  test(`SIGKILL at ${FULL ? 200 : 30} instants: every spooled record stored once, none corrupt`, async () => {
    const serve = await startServeBinary();
    const { dir: home, cleanup } = tempDir("bagtower-kill-");
    writeFileSync(join(home, "config.json"), JSON.stringify({ collect: { rootfs: join(FIXTURES, "pi4"), cpuSampleMs: 10 }, sinks: [{ name: "default", format: "bagtower", url: serve.url, apiKey: SERVE_KEY }] }));
    const env = { PATH: process.env.PATH, BAGTOWER_HOME: home };
    const seen = new Set<string>();
    const kills = FULL ? 200 : 30;
    const spool = join(home, "spool", "default");
    try {
      // Kill instants span one measured run: a fixed window can land every kill before the spool
      // write on a slow machine, and the test would prove nothing.
      const started = performance.now();
      expect(await Bun.spawn([BINARY, "push", "--quiet"], { env, stdout: "ignore", stderr: "ignore" }).exited).toBe(0);
      const windowMs = (performance.now() - started) * 1.2;
      for (let i = 0; i < kills; i++) {
        const before = new Set(listSpool(spool).map((e) => e.name));
        const p = Bun.spawn([BINARY, "push", "--quiet"], { env, stdout: "ignore", stderr: "ignore" });
        if (i % 2 === 0) {
          await Bun.sleep(Math.random() * windowMs);
        } else {
          // The case under test, for certain: this run's record is spooled and not yet stored.
          let exited = false;
          void p.exited.then(() => (exited = true));
          await waitFor("this run's record in the spool, or the run's end", () => exited || listSpool(spool).some((e) => !before.has(e.name)), 10_000, 1);
        }
        p.kill("SIGKILL");
        await p.exited;
        for (const entry of listSpool(spool)) seen.add(readSpooled(entry).meta.recordId);
      }
      const flush = Bun.spawn([BINARY, "spool", "flush"], { env, stdout: "ignore", stderr: "ignore" });
      expect(await flush.exited).toBe(0);
      expect(listSpool(spool)).toEqual([]);
      const hashes = storedRecordHashes(join(serve.dir, "serve.db"));
      const missing = [...seen].filter((id) => timesStored(hashes, id) === 0);
      const duplicated = [...seen].filter((id) => timesStored(hashes, id) > 1).length;
      report("push SIGKILL vs serve", { kills, seenInSpool: seen.size, stored: hashes.size, missing: missing.length, duplicated });
      expect(missing).toEqual([]);
      expect(duplicated).toBe(0);
      // Some kills left a record spooled and undelivered: exactly once at serve, by recordId, is what was tested.
      expect(seen.size).toBeGreaterThan(0);
    } finally {
      await serve.stop();
      cleanup();
    }
  }, 300_000);
});
