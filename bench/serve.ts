#!/usr/bin/env bun
// The receiver (`bagtower serve`, the compiled binary) against a floor (a bare Bun.serve that
// JSON.parses each body: bench/serve-floor.ts) and a peer (VictoriaMetrics from Debian, the same
// records as Influx line protocol on /write), in one run on loopback: single-record pushes/s,
// records/s in batches of 500, p50/p99 latency at half the single-record peak (open loop); then
// idle RSS with 1,000 devices × a week of 10-minute records, the time to serve one device's week
// of graphs, and the database's size. Every load loop is bounded by a duration and a request count.
// Usage: bun bench/serve.ts [seconds per load phase (5)] [devices in the week load (1000)]
import { $ } from "bun";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { encodeInflux } from "../src/formats/influx.ts";
import { DEFAULT_LIMITS } from "../src/serve/limits.ts";
import type { BagtowerRecord } from "../src/record/schema.ts";
import { startVictoriaMetrics } from "../test/helpers/backends.ts";
import { fmt, machine, quantile, REPO, summarize, table, timeCommand, writeSection } from "./lib.ts";
import { closedLoop, httpPost, openLoop, type LoadResult, type Reply } from "./serve-http.ts";

const PHASE_S = Number(process.argv[2] ?? 5);
// The full fleet by default: 1,000 × 1,008 records load in ~70 s here (~14,600 records/s).
const WEEK_DEVICES = Number(process.argv[3] ?? 1000);
const DEVICES = 1000;
const BATCH = 500;
const WEEK_RECORDS = 1008; // 7 days of 10-minute records
const SINGLE_CONNS = 64;
const BATCH_CONNS = 4;
const OPEN_CONNS = 256;
const WARMUP_SINGLE = 1000;
const WARMUP_BATCH = 4;
const API_KEY = "bench-ingest-key-0123456789";
const LOAD_CAP_MS = 300_000;
const GRAPH_REPS = 20;

const runStarted = performance.now();
const binary = join(REPO, "dist/bagtower-linux-x64");
const work = mkdtempSync(join(tmpdir(), "bagtower-bench-serve-"));
const log = (line: string) => console.error(`[${((performance.now() - runStarted) / 1000).toFixed(1)} s] ${line}`);

await $`${process.execPath} ${join(REPO, "scripts/build.ts")} linux-x64`.quiet();

// --- the CPU split ------------------------------------------------------------------------------
// Client and servers share the machine's 2 cores: this process (the load generator, every thread)
// runs on CPU 0 and each server on CPU 1, so neither can starve the other.
const taskset = Bun.which("taskset");
const pinned = cpus().length >= 2 && taskset !== null;
if (pinned) await $`${taskset} -a -p -c 0 ${process.pid}`.quiet();
const onServerCpu = (cmd: string[]) => (pinned ? [taskset!, "-c", "1", ...cmd] : cmd);
const pinToServerCpu = async (pid: number) => {
  if (pinned) await $`${taskset} -a -p -c 1 ${pid}`.quiet();
};

// --- the records ----------------------------------------------------------------------------------
const collectHome = join(work, "collect-home");
mkdirSync(collectHome);
const collected = await timeCommand([binary, "collect", "--root", join(REPO, "test/fixtures/proc/pi4")], { PATH: process.env.PATH, BAGTOWER_HOME: collectHome });
if (collected.code !== 0) throw new Error(`collect exited ${collected.code}`);
const template = JSON.parse(collected.stdout) as BagtowerRecord;
const ITEMS = template.data.length;
const DATA_JSON = JSON.stringify(template.data);
const { recordId: _r, machineId: _m, hostname: _h, seq: _s, ...metaRest } = template.meta;
const META_TAIL = JSON.stringify(metaRest).slice(1); // `"bootId":…}` closes meta
const deviceName = (d: number) => `bench-${String(d).padStart(4, "0")}`;
const machineIdOf = (d: number) => (0xb7000000 + d).toString(16).padStart(32, "0");
const recordJson = (d: number, ts: number, recordId: string, seq: number) =>
  `{"deviceId":"${deviceName(d)}","unixTimestamp":${ts},"UTCTimestamp":"${new Date(ts * 1000).toISOString()}","data":${DATA_JSON},"meta":{"recordId":"${recordId}","machineId":"${machineIdOf(d)}","hostname":"${deviceName(d)}","seq":${seq},${META_TAIL}}`;
// One line per device with everything but the timestamp, from the project's own Influx encoder.
const influxPrefix = Array.from({ length: DEVICES }, (_, d) => {
  const record: BagtowerRecord = { ...template, deviceId: deviceName(d), unixTimestamp: 0, meta: { ...template.meta, hostname: deviceName(d) } };
  const line = encodeInflux([record], { pattooAgentId: "bench", pollingIntervalMs: 600_000 }).body.trimEnd();
  return line.slice(0, line.lastIndexOf(" ") + 1);
});
const FIELDS = influxPrefix[0]!.split(" ")[1]!.split(",").length;

// Every generated record is new: device = serial mod 1,000, and each device's timestamps go up by
// one second per round over the fleet (unique per device, all within the past week).
const TS_BASE = Math.floor(Date.now() / 1000) - 6 * 86400;
let serial = 0;
const RUN = Date.now().toString(36);
const nextRecord = () => {
  const n = serial++;
  return { d: n % DEVICES, ts: TS_BASE + Math.floor(n / DEVICES), id: `bench-${RUN}-${n}`, seq: n };
};

type Kind = "bagtower" | "floor" | "influx";
function maker(kind: Kind, port: number, perRequest: number) {
  return () => {
    const parts: string[] = [];
    for (let k = 0; k < perRequest; k++) {
      const r = nextRecord();
      parts.push(kind === "influx" ? `${influxPrefix[r.d]}${r.ts}\n` : recordJson(r.d, r.ts, r.id, r.seq));
    }
    const body = kind === "influx" ? parts.join("") : perRequest === 1 ? parts[0]! : `[${parts.join(",")}]`;
    const bytes =
      kind === "influx"
        ? httpPost(port, "/write?precision=s", body, { "Content-Type": "text/plain; charset=utf-8" })
        : httpPost(port, "/logs", body, { "Content-Type": "application/json", "x-api-key": API_KEY });
    return { bytes, units: perRequest };
  };
}

function checker(kind: Kind, units: number): (reply: Reply) => string | undefined {
  if (kind === "influx") return (reply) => (reply.status === 204 ? undefined : `status ${reply.status}`);
  if (kind === "floor") return (reply) => (reply.body === '{"status":"ok"}' ? undefined : reply.body.slice(0, 80));
  return (reply) => {
    const body = JSON.parse(reply.body) as { status?: string; accepted?: number; duplicates?: number };
    return body.status === "ok" && body.accepted === units && body.duplicates === 0 ? undefined : reply.body.slice(0, 120);
  };
}

// --- the processes ----------------------------------------------------------------------------------
interface Running {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<string>;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
}

/** Spawns a server on the server CPU and waits for the line that names its port. */
async function spawnServer(name: string, cmd: string[], portLine: RegExp, env: Record<string, string | undefined>): Promise<Running> {
  const proc = Bun.spawn(onServerCpu(cmd), { stdin: "ignore", stdout: "ignore", stderr: "pipe", env });
  let text = "";
  let resolvePort!: (port: number) => void;
  const port = new Promise<number>((resolve) => (resolvePort = resolve));
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      text += decoder.decode(chunk, { stream: true });
      const m = portLine.exec(text);
      if (m) resolvePort(Number(m[1]));
    }
  })();
  const found = await Promise.race([port, proc.exited.then(() => -1), Bun.sleep(20_000).then(() => 0)]);
  if (found <= 0) {
    proc.kill("SIGKILL");
    throw new Error(`${name} did not start (${found < 0 ? `exited ${proc.exitCode}` : "no port after 20 s"}); stderr:\n${text}`);
  }
  return {
    name,
    port: found,
    pid: proc.pid,
    stderr: () => text,
    async stop() {
      proc.kill("SIGTERM");
      const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
      if (!exited) {
        proc.kill("SIGKILL");
        await proc.exited;
        return "did not exit within 10 s of SIGTERM (killed)";
      }
      return proc.signalCode ? `killed by ${proc.signalCode}` : `exit ${proc.exitCode}`;
    },
  };
}

const serveHome = join(work, "home");
mkdirSync(serveHome);
const startServe = (db: string) =>
  spawnServer(
    "bagtower serve",
    // Every request of the bench comes from 127.0.0.1, so the per-address request limit is off.
    [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--db", db, "--api-key", API_KEY, "--home", serveHome, "--rate-limit", "0"],
    /dashboard: http:\/\/127\.0\.0\.1:(\d+)\//,
    { PATH: process.env.PATH, HOME: serveHome },
  );
const startFloor = () => spawnServer("floor", [process.execPath, join(REPO, "bench/serve-floor.ts")], /http:\/\/127\.0\.0\.1:(\d+)\//, { PATH: process.env.PATH });

async function startPeer(): Promise<Running> {
  const vm = await startVictoriaMetrics();
  const port = Number(new URL(vm.url).port);
  const pid = Number(
    readdirSync("/proc").find((p) => {
      if (!/^\d+$/.test(p)) return false;
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`-httpListenAddr=127.0.0.1:${port}\0`);
      } catch {
        return false;
      }
    }),
  );
  if (!pid) throw new Error("cannot find the VictoriaMetrics process");
  await pinToServerCpu(pid);
  return { name: "VictoriaMetrics", port, pid, stderr: () => "", stop: async () => (await vm.stop(), "stopped") };
}

function rssOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

// --- the three load phases ---------------------------------------------------------------------------
interface SystemSpec {
  label: string;
  kind: Kind;
  start: () => Promise<Running>;
  /** Also an open loop at this rate (bagtower serve's half load), for a latency reference at the same rate. */
  sameRate?: number;
}

type HalfLoad = Measured<LoadResult & { sent: number; lateStarts: number }> & { rate: number; durationMs: number };

interface SystemResult {
  label: string;
  single: Measured<LoadResult>;
  singlePeak: number;
  singleSustained: number;
  half: HalfLoad;
  same?: HalfLoad;
  batch: Measured<LoadResult>;
  /** Records acknowledged in all (warm-ups included), to compare with what the system says it holds. */
  acknowledged: number;
  diskPerRecord: number;
  batchRate: number;
  rss: { rss: number; hwm: number };
  stops: string[];
  stderr: string;
  note: string[];
}

/** Returns the records the warm-up got acknowledged. */
async function warmUp(kind: Kind, port: number): Promise<number> {
  const a = await closedLoop({ port, conns: 8, durationMs: 3000, maxRequests: WARMUP_SINGLE, make: maker(kind, port, 1) });
  const b = await closedLoop({ port, conns: 2, durationMs: 3000, maxRequests: WARMUP_BATCH, make: maker(kind, port, BATCH) });
  return a.okUnits + b.okUnits;
}

/** CPU seconds (user + system, all threads) of a process so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Runs a load phase and measures the CPU share (of one core) the client and the server used. */
/** Bytes a process has had written to disk so far (/proc/PID/io write_bytes). */
function diskWrites(pid: number): number {
  return Number(/^write_bytes: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1] ?? Number.NaN);
}

type Measured<T> = T & { clientCpu: number; serverCpu: number; diskPerUnit: number };

async function withCpu<T extends LoadResult>(pid: number, phase: () => Promise<T>): Promise<Measured<T>> {
  const client0 = process.cpuUsage();
  const server0 = cpuSeconds(pid);
  const disk0 = diskWrites(pid);
  const started = performance.now();
  const result = await phase();
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(client0);
  return { ...result, clientCpu: (client.user + client.system) / 1e6 / seconds, serverCpu: (cpuSeconds(pid) - server0) / seconds, diskPerUnit: (diskWrites(pid) - disk0) / Math.max(1, result.okUnits) };
}

async function measureSystem(spec: SystemSpec): Promise<SystemResult> {
  const stops: string[] = [];
  const note: string[] = [];
  let stderr = "";
  const server = await spec.start();
  let acknowledged = 0;
  const disk0 = diskWrites(server.pid);
  acknowledged += await warmUp(spec.kind, server.port);

  log(`${spec.label}: single-record pushes, ${SINGLE_CONNS} connections, ${PHASE_S} s`);
  const single = await withCpu(server.pid, () => closedLoop({ port: server.port, conns: SINGLE_CONNS, durationMs: PHASE_S * 1000, maxRequests: 1_000_000, make: maker(spec.kind, server.port, 1), check: checker(spec.kind, 1) }));
  acknowledged += single.okUnits;
  const singleSustained = single.ok / (single.elapsedMs / 1000);
  const singlePeak = single.firstRefusalMs === undefined ? singleSustained : single.okBeforeRefusal / (single.lastOkBeforeRefusalMs / 1000);
  if (single.firstRefusalMs !== undefined) {
    note.push(
      `single: ${single.okBeforeRefusal} accepted in ${fmt(single.lastOkBeforeRefusalMs / 1000, 2)} s, then the first refusal at ${fmt(single.firstRefusalMs / 1000, 2)} s; over the whole ${fmt(single.elapsedMs / 1000, 1)} s: ${Math.round(singleSustained)} accepted/s`,
    );
  }

  const rate = Math.max(1, singlePeak / 2);
  const durationMs = PHASE_S * 1000;
  log(`${spec.label}: open loop at ${Math.round(rate)}/s for ${fmt(durationMs / 1000, 2)} s`);
  const halfRun = await withCpu(server.pid, () => openLoop({ port: server.port, conns: OPEN_CONNS, durationMs, maxRequests: 1_000_000, rate, spin: pinned, make: maker(spec.kind, server.port, 1), check: checker(spec.kind, 1) }));
  acknowledged += halfRun.okUnits;
  const half = { ...halfRun, rate, durationMs };
  let same: HalfLoad | undefined;
  if (spec.sameRate !== undefined) {
    log(`${spec.label}: open loop at ${Math.round(spec.sameRate)}/s (bagtower serve's half load) for ${PHASE_S} s`);
    const run = await withCpu(server.pid, () =>
      openLoop({ port: server.port, conns: OPEN_CONNS, durationMs: PHASE_S * 1000, maxRequests: 1_000_000, rate: spec.sameRate!, spin: pinned, make: maker(spec.kind, server.port, 1), check: checker(spec.kind, 1) }),
    );
    acknowledged += run.okUnits;
    same = { ...run, rate: spec.sameRate, durationMs: PHASE_S * 1000 };
  }

  log(`${spec.label}: batches of ${BATCH}, ${BATCH_CONNS} connections, ${PHASE_S} s`);
  const batch = await withCpu(server.pid, () => closedLoop({ port: server.port, conns: BATCH_CONNS, durationMs: PHASE_S * 1000, maxRequests: 100_000, make: maker(spec.kind, server.port, BATCH), check: checker(spec.kind, BATCH) }));
  acknowledged += batch.okUnits;
  const batchRate = batch.okUnits / (batch.elapsedMs / 1000);

  const rss = rssOf(server.pid);
  if (spec.kind === "influx") {
    // Everything acknowledged must have arrived: the peer's own counter of ingested lines.
    await (await fetch(`http://127.0.0.1:${server.port}/internal/force_flush`)).arrayBuffer();
    const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    const rows = Number(/^vm_rows_inserted_total\{type="influx"\} (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
    await Bun.sleep(1500); // let its buffers settle before reading its counter
    note.push(`VictoriaMetrics counted ${rows} rows inserted from Influx lines: ${rows / FIELDS} lines of ${FIELDS} fields, ${acknowledged} acknowledged`);
  }
  if (spec.kind === "bagtower") {
    const health = (await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).json()) as { records: number; devices: number };
    note.push(`/healthz at the end: ${health.records} records (${acknowledged} acknowledged), ${health.devices} devices in the database`);
  }
  const written = diskWrites(server.pid) - disk0;
  stops.push(await server.stop());
  stderr += server.stderr();
  return { label: spec.label, single, singlePeak, singleSustained, half, same, batch, batchRate, acknowledged, diskPerRecord: written / Math.max(1, acknowledged), rss, stops, stderr, note };
}

// --- run the systems --------------------------------------------------------------------------------
const results: Record<string, SystemResult> = {};
const floorRun = await startFloor();
await Bun.sleep(500);
const floorIdle = rssOf(floorRun.pid);
await floorRun.stop();
results.serve = await measureSystem({ label: "bagtower serve", kind: "bagtower", start: () => startServe(join(work, "throughput.db")) });
const sameRate = results.serve.half.rate;
results.floor = await measureSystem({ label: "floor: bare Bun.serve + JSON.parse", kind: "floor", start: startFloor, sameRate });
results.peer = await measureSystem({ label: "peer: VictoriaMetrics /write", kind: "influx", start: startPeer, sameRate });

// --- the week: 1,000 devices × 1,008 ten-minute records ---------------------------------------------------
const weekDb = join(work, "week.db");
let week = await startServe(weekDb);
const weekNowS = Math.floor(Date.now() / 1000);
const weekFrom = weekNowS - 7 * 86400;
const weekTotal = WEEK_DEVICES * WEEK_RECORDS;
const weekRequests = Math.ceil(weekTotal / BATCH);
log(`week load: ${WEEK_DEVICES} devices × ${WEEK_RECORDS} records in ${weekRequests} batches`);
// Device by device, each device's records in time order (one device's ten-minute grid, offset per
// device so the fleet is not in lockstep): the fast way to load, as a restore or a backfill would.
let weekNext = 0;
const weekDisk0 = diskWrites(week.pid);
const weekLoad = await closedLoop({
  port: week.port,
  conns: BATCH_CONNS,
  durationMs: LOAD_CAP_MS,
  maxRequests: weekRequests,
  make: () => {
    const first = weekNext * BATCH;
    weekNext++;
    const parts: string[] = [];
    for (let j = first; j < Math.min(first + BATCH, weekTotal); j++) {
      const d = Math.floor(j / WEEK_RECORDS);
      const k = j % WEEK_RECORDS;
      parts.push(recordJson(d, weekFrom + k * 600 + ((d * 37) % 600), `week-${RUN}-${d}-${k}`, k));
    }
    return { bytes: httpPost(week.port, "/logs", `[${parts.join(",")}]`, { "Content-Type": "application/json", "x-api-key": API_KEY }), units: parts.length };
  },
  check: (reply) => {
    const body = JSON.parse(reply.body) as { accepted?: number; duplicates?: number };
    return body.duplicates === 0 ? undefined : reply.body.slice(0, 120);
  },
});
const weekLoaded = weekLoad.okUnits;
const weekDiskPerRecord = (diskWrites(week.pid) - weekDisk0) / Math.max(1, weekLoaded);
const weekLoadS = weekLoad.elapsedMs / 1000;
const weekAfterLoad = rssOf(week.pid);
log(`week load: ${weekLoaded} records in ${fmt(weekLoadS)} s`);
await Bun.sleep(2000);
const weekIdle = rssOf(week.pid);
await Bun.sleep(8000);
const weekIdle10 = rssOf(week.pid);

const graphDevice = deviceName(Math.floor(WEEK_DEVICES / 2));
const base = `http://127.0.0.1:${week.port}`;
const graphMs: number[] = [];
let graphItems = 0;
let graphPoints = 0;
let graphBytes = 0;
const graphRound = async () => {
  for (let rep = 0; rep < GRAPH_REPS; rep++) {
    const started = performance.now();
    const device = (await (await fetch(`${base}/api/devices/${graphDevice}`)).json()) as { items: { id: string; shape: string }[] };
    const numeric = device.items.filter((i) => i.shape !== "string");
    const texts = await Promise.all(numeric.map(async (i) => (await fetch(`${base}/api/devices/${graphDevice}/series?item=${encodeURIComponent(i.id)}&from=${weekFrom}`)).text()));
    graphMs.push(performance.now() - started);
    graphItems = numeric.length;
    graphBytes = texts.reduce((n, t) => n + t.length, 0);
    graphPoints = texts.map((t) => JSON.parse(t) as { points: Record<string, unknown[]> }).reduce((n, s) => n + Object.values(s.points).reduce((m, p) => m + p.length, 0), 0);
  }
};
await graphRound();
const graphStats = summarize(graphMs);
await Bun.sleep(2000);
const afterGraphs = rssOf(week.pid);
// The same again: does serving graphs keep growing the process?
await graphRound();
await Bun.sleep(2000);
const afterGraphs2 = rssOf(week.pid);
const walBytes = (() => {
  try {
    return statSync(`${weekDb}-wal`).size;
  } catch {
    return 0;
  }
})();
const dbBytesRunning = statSync(weekDb).size;
const weekStops = [await week.stop()];
let weekStderr = week.stderr();
const dbBytes = statSync(weekDb).size;
// The same database after a restart: what a serve that has been idle since its start holds.
week = await startServe(weekDb);
await Bun.sleep(2000);
const restartIdle = rssOf(week.pid);
weekStops.push(await week.stop());
weekStderr += week.stderr();

// Live single-record pushes into the week's database, as its devices go on reporting: capacity
// (closed loop) and latency at bagtower serve's half load (open loop), a fresh process for each.
let liveSerial = 0;
const liveMaker = (port: number) => () => {
  const n = liveSerial++;
  const d = n % WEEK_DEVICES;
  const ts = weekNowS + 1 + Math.floor(n / WEEK_DEVICES);
  return { bytes: httpPost(port, "/logs", recordJson(d, ts, `live-${RUN}-${n}`, WEEK_RECORDS + n), { "Content-Type": "application/json", "x-api-key": API_KEY }), units: 1 };
};
week = await startServe(weekDb);
log("week's database: live single-record pushes, closed loop");
await closedLoop({ port: week.port, conns: 8, durationMs: 2000, maxRequests: 500, make: liveMaker(week.port) });
const liveClosed = await withCpu(week.pid, () => closedLoop({ port: week.port, conns: SINGLE_CONNS, durationMs: 2000, maxRequests: 5000, make: liveMaker(week.port), check: checker("bagtower", 1) }));
weekStops.push(await week.stop());
weekStderr += week.stderr();
week = await startServe(weekDb);
await closedLoop({ port: week.port, conns: 8, durationMs: 2000, maxRequests: 500, make: liveMaker(week.port) });
const liveRate = results.serve!.half.rate;
const liveMs = Math.min(PHASE_S * 1000, Math.floor((5000 / liveRate) * 1000));
log(`week's database: open loop at ${Math.round(liveRate)}/s for ${fmt(liveMs / 1000, 2)} s`);
const liveOpen = await withCpu(week.pid, () =>
  openLoop({ port: week.port, conns: OPEN_CONNS, durationMs: liveMs, maxRequests: 5000, rate: liveRate, spin: pinned, make: liveMaker(week.port), check: checker("bagtower", 1) }),
);
weekStops.push(await week.stop());
weekStderr += week.stderr();
rmSync(work, { recursive: true, force: true });

// --- the report -------------------------------------------------------------------------------------
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20)} MiB`;
const ratio = (a: number, b: number) => `${fmt(a / b, 2)}×`;
const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
const ours = [results.serve!];
const refs = [results.floor!, results.peer!];

function measurementTable(value: (r: SystemResult) => number, show: (n: number) => string): string {
  const rows: string[][] = [];
  for (const r of ours) for (const ref of refs) rows.push([r.label, show(value(r)), `${ref.label.split(":")[0]}: ${show(value(ref))}`, ratio(value(r), value(ref))]);
  return table(["system", "value", "reference (floor/peer)", "ratio"], rows);
}

const statusText = (r: LoadResult) =>
  Object.entries(r.statuses)
    .map(([k, n]) => `${n} × ${k}`)
    .join(", ");
const kib = (bytes: number) => `${fmt(bytes / 1024, 1)} KiB`;
const cpuText = (r: { clientCpu: number; serverCpu: number; diskPerUnit: number }, disk = true) =>
  `CPU client ${fmt(r.clientCpu * 100, 0)} %, server ${fmt(r.serverCpu * 100, 0)} %${disk ? `; server disk writes ${kib(r.diskPerUnit)}/record` : ""}`;
const halfText = (h: HalfLoad, disk: boolean) =>
  `${int(h.rate)}/s × ${fmt(h.durationMs / 1000, 2)} s: ${statusText(h)}; ${h.lateStarts} sent > 1 ms after their instant${h.stoppedBy !== "duration" ? `; ${h.stoppedBy}` : ""}; CPU server ${fmt(h.serverCpu * 100, 0)} %${disk ? `; server disk writes ${kib(h.diskPerUnit)}/record` : ""}`;
const detailRows = Object.values(results).map((r) => {
  // Only bagtower writes before it answers; the peer keeps recent rows in memory (its /proc io showed none).
  const disk = r === results.serve;
  return [
    r.label,
    `${statusText(r.single)}; ${cpuText(r.single, disk)}`,
    `${halfText(r.half, disk)}${r.same ? `<br>${halfText(r.same, disk)}` : ""}`,
    `${statusText(r.batch)}; ${cpuText(r.batch, disk)}`,
    `${mib(r.rss.rss)}; ${disk ? `${kib(r.diskPerRecord)}/record` : "—"}`,
  ];
});
const refusals = Object.values(results)
  .flatMap((r) => [
    ...Object.entries({ ...r.single.samples, ...r.half.samples, ...r.same?.samples, ...r.batch.samples }).map(([k, body]) => `- ${r.label}, ${k}: \`${body.replace(/`/g, "'")}\``),
    ...r.note.map((n) => `- ${r.label}: ${n}`),
    ...(r.stops.some((s) => s !== "exit 0" && s !== "stopped") ? [`- ${r.label}: stops ${r.stops.join(", ")}`] : []),
  ]);
const errorLines = (text: string) => text.split("\n").filter((l) => /ERROR|error|failed|warn/i.test(l));
const serverErrors = [...errorLines(results.serve!.stderr), ...errorLines(weekStderr)];

const g = graphStats;
const serveSingle = results.serve!;
const weekScaled = WEEK_DEVICES !== 1000 || weekLoaded !== 1000 * WEEK_RECORDS;
const totalS = (performance.now() - runStarted) / 1000;
const pq = (h: { latencies: number[] } | undefined, q: number) => (h ? quantile([...h.latencies].sort((a, b) => a - b), q) : Number.NaN);
const p = (r: SystemResult, q: number) => pq(r.half, q);
function latencyTable(q: number): string {
  const rows: string[][] = [];
  const ms = (n: number) => `${fmt(n, 2)} ms`;
  for (const r of ours) {
    for (const ref of refs) {
      rows.push([`${r.label} at ${int(r.half.rate)}/s`, ms(pq(r.half, q)), `${ref.label.split(":")[0]} at ${int(ref.same!.rate)}/s: ${ms(pq(ref.same, q))}`, ratio(pq(r.half, q), pq(ref.same, q))]);
    }
  }
  for (const ref of refs) rows.push([`(${ref.label.split(":")[0]} at half its own peak, ${int(ref.half.rate)}/s)`, ms(pq(ref.half, q)), "—", "—"]);
  return table(["system", "value", "reference (floor/peer)", "ratio"], rows);
}

const body = `Run ${new Date().toISOString()} on ${machine()}; total ${fmt(totalS, 0)} s.
Command: \`bun bench/serve.ts${process.argv[2] ? ` ${PHASE_S}` : ""}${process.argv[3] ? ` ${WEEK_DEVICES}` : ""}\`.

Everything on loopback. Client and server share the 2 cores: ${pinned ? "the load generator (this Bun process, all its threads) is pinned to CPU 0 and each server to CPU 1 with `taskset`, so neither starves the other" : "**not pinned** (no taskset or fewer than 2 cores): client and server compete for the cores"}.
The load generator is a raw HTTP/1.1 keep-alive client (bench/serve-http.ts): closed loop with ${SINGLE_CONNS} connections for single records and ${BATCH_CONNS} for batches of ${BATCH}, ${PHASE_S} s each after a warm-up;
latency is an open loop at half of each system's own single-record peak (${OPEN_CONNS} connections; latency counted from each request's scheduled instant).
Records: \`collect --root test/fixtures/proc/pi4\` (${ITEMS} items, ${collected.stdout.length} bytes) with deviceId over ${DEVICES} devices and a new unixTimestamp, recordId and seq each; the peer gets the same records as Influx lines (\`encodeInflux\`, ${FIELDS} fields a line) on \`/write?precision=s\`.
\`bagtower serve\` is the compiled binary with its defaults but \`--rate-limit 0\`: every request here comes from 127.0.0.1, and the default limit (${int(DEFAULT_LIMITS.requestsPerMinute)} requests a minute per key and address) would stop the load, as it would a runaway device.
bagtower serve answers after its SQLite commit is fsynced (WAL, synchronous=FULL); VictoriaMetrics answers 204 once the lines are buffered in memory (it writes them to disk later, in the background).

### Single-record pushes/s (higher is better)

${measurementTable((r) => r.singlePeak, (n) => `${int(n)}/s`)}

${results.floor!.single.clientCpu >= 0.9 ? `The floor's figure is bounded by the load generator (its core was ${fmt(results.floor!.single.clientCpu * 100, 0)} % busy): the floor is at least this fast.` : ""}

### Records/s in batches of ${BATCH} (higher is better)

${measurementTable((r) => r.batchRate, (n) => `${int(n)}/s`)}

### Latency at half the single-record peak, p50 (lower is better)

${latencyTable(0.5)}

### Latency at half the single-record peak, p99 (lower is better)

${latencyTable(0.99)}

bagtower serve runs at half of its own single-record peak; the floor and the peer are compared at bagtower serve's rate, and shown at half of their own peaks too
(there the load generator, on one core, sends tens of thousands of requests a second and its own pauses reach the tail). The schedule is polled ${pinned ? "on every event-loop turn" : "every ~1 ms (timer), which adds up to 1 ms"}.

### A week of data: ${int(WEEK_DEVICES)} devices × ${WEEK_RECORDS} ten-minute records${weekScaled ? " (**scaled down**)" : ""}

${weekScaled ? `**Scaled down**: ${int(weekLoaded)} of the ${int(1000 * WEEK_RECORDS)} records of 1,000 devices × a week, to keep the run within ~5 minutes (at this rate the full load takes ~${fmt((1000 * WEEK_RECORDS) / (weekLoaded / weekLoadS), 0)} s; \`bun bench/serve.ts 5 1000\` loads it all).

` : ""}Loaded ${int(weekLoaded)} records (${int(weekLoaded * ITEMS)} items) into a fresh \`serve\` in ${fmt(weekLoadS)} s (${int(weekLoaded / weekLoadS)} records/s, ${BATCH_CONNS} connections, batches of ${BATCH}, device by device, timestamps over the past 7 days; ${statusText(weekLoad)}; the server wrote ${kib(weekDiskPerRecord)} to disk per record${weekLoad.stoppedBy !== "requests" ? `; stopped by ${weekLoad.stoppedBy}` : ""}).

${table(
  ["system", "value", "reference (floor/peer)", "ratio"],
  [
    ["bagtower serve: idle RSS 2 s after the load", mib(weekIdle.rss), `floor: ${mib(floorIdle.rss)} (idle, empty)`, ratio(weekIdle.rss, floorIdle.rss)],
    ["bagtower serve: idle RSS 2 s after the load", mib(weekIdle.rss), `peer: ${mib(results.peer!.rss.rss)} (VictoriaMetrics after its load phases)`, ratio(weekIdle.rss, results.peer!.rss.rss)],
    ["bagtower serve: idle RSS 10 s after the load", mib(weekIdle10.rss), `floor: ${mib(floorIdle.rss)}`, ratio(weekIdle10.rss, floorIdle.rss)],
    [`bagtower serve: idle RSS 2 s after ${GRAPH_REPS} loads of the graphs`, mib(afterGraphs.rss), `floor: ${mib(floorIdle.rss)}`, ratio(afterGraphs.rss, floorIdle.rss)],
    [`bagtower serve: idle RSS 2 s after ${GRAPH_REPS} more`, mib(afterGraphs2.rss), `floor: ${mib(floorIdle.rss)}`, ratio(afterGraphs2.rss, floorIdle.rss)],
    ["bagtower serve: idle RSS 2 s after a restart on the week's database", mib(restartIdle.rss), `floor: ${mib(floorIdle.rss)}`, ratio(restartIdle.rss, floorIdle.rss)],
    ["bagtower serve: peak RSS (VmHWM) during the load", mib(weekAfterLoad.hwm), "—", "—"],
    ["bagtower serve: peak RSS (VmHWM) by the end", mib(afterGraphs2.hwm), "—", "—"],
    [`one device's week of graphs (GET the device + ${graphItems} series in parallel), median of ${GRAPH_REPS}`, `${fmt(g.median, 1)} ms (p90 ${fmt(g.p90, 1)}, max ${fmt(g.max, 1)})`, "—", "—"],
    [
      "bagtower serve: live single-record pushes/s into the week's database (closed loop, 2 s)",
      `${int(liveClosed.okUnits / (liveClosed.elapsedMs / 1000))}/s`,
      `own peak on a fresh database: ${int(results.serve!.singlePeak)}/s`,
      ratio(liveClosed.okUnits / (liveClosed.elapsedMs / 1000), results.serve!.singlePeak),
    ],
    [
      `bagtower serve: p50 / p99 of live pushes at ${int(liveRate)}/s (its half load) into the week's database, ${fmt(liveMs / 1000, 2)} s`,
      `${fmt(pq(liveOpen, 0.5), 2)} / ${fmt(pq(liveOpen, 0.99), 2)} ms`,
      `on a fresh database: ${fmt(p(results.serve!, 0.5), 2)} / ${fmt(p(results.serve!, 0.99), 2)} ms`,
      ratio(pq(liveOpen, 0.99), p(results.serve!, 0.99)),
    ],
    ["database file after the stop", mib(dbBytes), `while running: ${mib(dbBytesRunning)} + WAL ${mib(walBytes)}`, "—"],
  ],
)}

Live pushes into the week's database: ${statusText(liveClosed)} (${cpuText(liveClosed)}); at half load ${statusText(liveOpen)}, ${liveOpen.lateStarts} sent > 1 ms after their instant, server disk writes ${kib(liveOpen.diskPerUnit)}/record.
The graphs returned ${int(graphPoints)} points (${int(graphBytes)} bytes of JSON) for ${graphDevice}.

### Targets (SPEC §12)

| target | measured | |
| --- | --- | --- |
| ≥ 10,000 single-record pushes/s | bagtower serve: ${int(serveSingle.singleSustained)}/s over ${PHASE_S} s | ${verdict(serveSingle.singleSustained >= 10_000)} |
| ≥ 50,000 records/s in batches | bagtower serve: ${int(serveSingle.batchRate)}/s | ${verdict(serveSingle.batchRate >= 50_000)} |
| p99 ≤ 50 ms at half load | bagtower serve: ${fmt(p(serveSingle, 0.99), 2)} ms at ${int(serveSingle.half.rate)}/s | ${verdict(p(serveSingle, 0.99) <= 50)} |
| ≥ 10,000 single-record pushes/s, into the week's database | ${int(liveClosed.okUnits / (liveClosed.elapsedMs / 1000))}/s | ${verdict(liveClosed.okUnits / (liveClosed.elapsedMs / 1000) >= 10_000)} |
| p99 ≤ 50 ms at half load, into the week's database | ${fmt(pq(liveOpen, 0.99), 2)} ms at ${int(liveRate)}/s | ${verdict(pq(liveOpen, 0.99) <= 50)} |
| idle RSS ≤ 80 MB, 1,000 devices × a week | ${mib(weekIdle.rss)} (${fmt(weekIdle.rss / 1e6)} MB)${weekScaled ? `, **scaled**: ${int(weekLoaded)} records` : ""} | ${verdict(weekIdle.rss <= 80e6 && !weekScaled)} |

### Details

${table(["system", `single (${PHASE_S} s)`, "half load", `batches of ${BATCH} (${PHASE_S} s)`, "RSS after; server disk writes per record over all phases"], detailRows)}

${refusals.join("\n")}
${serverErrors.length ? `\nServer log lines with errors or warnings (${serverErrors.length}, first 10):\n\n\`\`\`\n${serverErrors.slice(0, 10).join("\n")}\n\`\`\`` : "\nNo error or warning in the servers' logs."}
Stops of the week's serve: ${weekStops.join(", ")}.`;
console.log(body);
writeSection("serve", body);
