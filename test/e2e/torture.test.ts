// Reliability under abuse (SPEC §12), in the short form CI runs; `npm run torture` runs the same
// with larger counts (BAGTOWER_TORTURE=full). Each test prints what it tried and what survived.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listSpool, readSpooled } from "../../src/deliver/spool.ts";
import { openStore } from "../../src/serve/store.ts";
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
    // The devices' rows are written behind their records (device-rows.ts): the start after the kill
    // puts back what they lacked, so each device's latest value is its newest stored sample.
    const rebuilt: string[] = [];
    const reopened = openStore(join(serve.dir, "serve.db"), undefined, { log: (line) => rebuilt.push(line) });
    const latestWrong: string[] = [];
    try {
      for (let n = 0; n < 8; n++) {
        const id = `dev-${n}`;
        const network = reopened.items(id).find((i) => i.id === "network");
        const newest = reopened.series(id, "network", 0, 2e9).filter((p) => p.key === "bytes_sent").at(-1);
        const latest = network ? [network.ts, (network.latest as Record<string, number> | null)?.bytes_sent] : undefined;
        if (JSON.stringify(latest) !== JSON.stringify(newest ? [newest.ts, newest.value] : undefined)) latestWrong.push(`${id}: latest ${latest} newest ${newest?.ts},${newest?.value}`);
      }
    } finally {
      reopened.close();
    }
    report("serve SIGKILL", { sent, acknowledged: acknowledged.size, stored: [...hashes.values()].reduce((a, b) => a + b, 0), missing: missing.length, rowsPutBack: rebuilt.length > 0 ? rebuilt[0]! : "none" });
    expect(missing).toEqual([]);
    expect(latestWrong).toEqual([]);
    await serve.stop();
  }, 60_000);
});


describe("serve killed while it seals", () => {
  // The receiver in a process of its own (test/helpers/serve-process.ts: startServe as `serve` runs
  // it) with the store's `seal` job every 20 ms, fed batches of many records per device, 30 s
  // of device time apart, so hours close and heads are sealed into chunks while ingest goes
  // on; SIGKILLed once it has sealed some (a store without a seal job, or without store figures
  // on /healthz, is killed during ingest), restarted on the same file, again. Like an agent's spool,
  // the client resends every batch not acknowledged. At the end every record sent has been
  // acknowledged, and each of its values is read back through the series API exactly once.
  const DEVICES = 6;
  const BATCH = 25;
  const STEP_S = 30;
  const rounds = FULL ? 10 : 3;
  const perRound = FULL ? 5000 : 1500;

  test(`SIGKILL at ${rounds} instants of sealing under ingest: every acknowledged sample once after a restart`, async () => {
    const { INGEST_KEY, READ_TOKEN } = await import("../helpers/serve.ts");
    const { drainText } = await import("../helpers/wait.ts");
    const { dir, cleanup } = tempDir("bagtower-seal-kill-");
    const db = join(dir, "serve.db");
    const start = async () => {
      const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../helpers/serve-process.ts"), db, JSON.stringify({ seal: 20 })], { stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH } });
      const stderr = drainText(proc.stderr);
      const url = (await waitFor("the serve process to listen", () => stderr.match(/listening: (http:\/\/\S+)/), 20_000))[1]!;
      return { proc, url, stderr };
    };
    const health = async (url: string) => (await (await fetch(`${url}/healthz`)).json()) as { store?: { headRecords: number; chunks?: number } };
    // Device time: every 30 s from six days ago (inside the 7-day dedup window, so a resent batch is
    // always recognised), never past now; an hour closes every 120 records of a device.
    const baseS = Math.floor(Date.now() / 1000) - 6 * 86400;
    const maxSteps = (6 * 86400) / STEP_S - BATCH;
    const valuesOf = (d: number, i: number) => ({ cpu: ((i * 7 + d) % 1000) / 10, load: { "1m": (i % 500) / 100, "5m": d + i / 1e4, "15m": i } });
    const recordOf = (d: number, i: number) => {
      const v = valuesOf(d, i);
      return sampleRecord(`seal-${d}`, baseS + i * STEP_S, {}, {
        data: [
          { id: "deviceStatus", type: "string", val: "UP" },
          { id: "cpu", type: "percent", val: v.cpu },
          { id: "load", type: "number", val: v.load },
        ],
        meta: { recordId: `seal-${d}-${i}` },
      });
    };
    const next = new Array<number>(DEVICES).fill(0);
    /** Batches sent whose answer never came (the process was killed): sent again, as a spool would. */
    let unanswered: { d: number; from: number }[] = [];
    let acknowledged = 0;
    let duplicatesAnswered = 0;
    const send = async (url: string, batch: { d: number; from: number }) => {
      const records = Array.from({ length: BATCH }, (_, k) => recordOf(batch.d, batch.from + k));
      try {
        const res = await fetch(`${url}/logs`, { method: "POST", body: JSON.stringify(records), headers: { "x-api-key": INGEST_KEY } });
        const answer = (await res.json()) as { accepted?: number; duplicates?: number };
        if (res.status !== 200 || answer.accepted! + answer.duplicates! !== BATCH) throw new Error(`unexpected answer ${res.status} ${JSON.stringify(answer)}`);
        acknowledged += answer.accepted!;
        duplicatesAnswered += answer.duplicates!;
        return true;
      } catch (error) {
        if (error instanceof Error && error.message.startsWith("unexpected answer")) throw error;
        unanswered.push(batch);
        return false;
      }
    };
    let killedWhileSealing = 0;
    let headReported = false;
    try {
      for (let round = 0; round < rounds; round++) {
        const serve = await start();
        const retry = unanswered;
        unanswered = [];
        for (const batch of retry) expect(await send(serve.url, batch)).toBe(true);
        const before = await health(serve.url);
        const ackedBefore = acknowledged;
        let stop = false;
        // Each round has its share of the six days: a fast store must not use them all up in one.
        const roundCap = Math.floor((maxSteps * (round + 1)) / rounds);
        const client = async (d: number) => {
          while (!stop && next[d]! + BATCH <= roundCap) {
            const batch = { d, from: next[d]! };
            next[d]! += BATCH;
            if (!(await send(serve.url, batch))) return;
          }
        };
        const clients = Array.from({ length: DEVICES }, (_, d) => client(d));
        // Sealing shows as more chunks, or (without that figure) as fewer head records than at the
        // previous look. A store whose seal job does not take the shortened period may not seal
        // within the round: it is then killed during ingest.
        let loadedAt: number | undefined;
        let lastHead: number | undefined;
        const sealing = await waitFor(
          "records acknowledged and, if the store reports them, a seal",
          async () => {
            if (acknowledged - ackedBefore < perRound) return false;
            loadedAt ??= Date.now();
            const now = (await health(serve.url)).store;
            headReported ||= now !== undefined;
            if (!now || Date.now() - loadedAt > 20_000) return "ingest";
            const sealed = now.chunks !== undefined && before.store?.chunks !== undefined ? now.chunks > before.store.chunks : lastHead !== undefined && now.headRecords < lastHead;
            lastHead = now.headRecords;
            return sealed && now.headRecords > 0 ? "seal" : false;
          },
          60_000,
        );
        if (sealing === "seal") killedWhileSealing++;
        serve.proc.kill("SIGKILL");
        stop = true;
        await serve.proc.exited;
        await Promise.all(clients);
      }
      const serve = await start();
      for (const batch of unanswered) expect(await send(serve.url, batch)).toBe(true);
      // Every record sent is now acknowledged: read each device's values back, six hours a request.
      const read = async (d: number, item: string) => {
        const seen = new Map<string, [number, number][]>();
        const endS = baseS + next[d]! * STEP_S;
        for (let from = baseS; from < endS; from += 6 * 3600) {
          const res = await fetch(`${serve.url}/api/devices/seal-${d}/series?item=${item}&from=${from}&to=${from + 6 * 3600 - 1}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
          const answer = (await res.json()) as { points: Record<string, [number, number][]>; tier?: string };
          expect({ status: res.status, tier: answer.tier ?? "raw" }).toEqual({ status: 200, tier: "raw" });
          for (const [key, points] of Object.entries(answer.points)) seen.set(key, [...(seen.get(key) ?? []), ...points]);
        }
        return seen;
      };
      let lost = 0;
      let doubled = 0;
      let wrong = 0;
      let samples = 0;
      for (let d = 0; d < DEVICES; d++) {
        for (const item of ["cpu", "load"] as const) {
          const got = await read(d, item);
          for (let i = 0; i < next[d]!; i++) {
            const ts = baseS + i * STEP_S;
            const want = valuesOf(d, i)[item];
            for (const [key, value] of typeof want === "number" ? [["", want] as const] : Object.entries(want)) {
              samples++;
              const at = (got.get(key) ?? []).filter((p) => p[0] === ts);
              if (at.length === 0) lost++;
              else if (at.length > 1) doubled++;
              else if (at[0]![1] !== value) wrong++;
            }
          }
          // Nothing beyond what was sent either.
          for (const points of got.values()) for (const [ts] of points) if ((ts - baseS) % STEP_S !== 0 || ts >= baseS + next[d]! * STEP_S) wrong++;
        }
      }
      const sent = next.reduce((a, b) => a + b, 0);
      report("serve SIGKILL while sealing", { rounds, killedWhileSealing, killedDuringIngest: rounds - killedWhileSealing, sent, acknowledged, duplicatesAnswered, samples, lost, doubled, wrong });
      expect({ lost, doubled, wrong }).toEqual({ lost: 0, doubled: 0, wrong: 0 });
      // Each batch was answered once in the end: accepted, or a duplicate of a commit whose answer the kill cut off.
      expect(acknowledged + duplicatesAnswered).toBe(sent);
      // A store with a head to seal was killed in the middle of sealing at least once, or the case was not tested.
      if (headReported) expect(killedWhileSealing).toBeGreaterThan(0);
      serve.proc.kill("SIGTERM");
      await serve.proc.exited;
    } finally {
      cleanup();
    }
  }, 300_000);
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
