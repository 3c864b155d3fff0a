#!/usr/bin/env bun
// The receiver (`bagtower serve`, the compiled binary) against a floor (a bare Bun.serve that
// JSON.parses each body: bench/serve-floor.ts) and a peer (VictoriaMetrics from Debian, the same
// records as Influx line protocol on /write), in one run on loopback: single-record pushes/s,
// records/s in batches of 500, p50/p99 latency at half the single-record peak (open loop); then
// 1,000 devices × a week of 10-minute records into serve and into VictoriaMetrics: disk bytes per
// record, idle and peak RSS, one device's week of graphs, live pushes into that database against a
// fresh one; one device's year beside the week (graphs over a week, 90 days and a year), the
// store's bytes per table and per tier, and the migration of a generated schema-3 week
// (test/helpers/schema3-db.ts). The values are bench/walk.ts's random walk around the pi4
// fixture's. Every load loop is bounded by a duration and a request count.
// Usage: bun bench/serve.ts [--quick] [seconds per load phase (5)] [devices in the week load (1000)]
//   --quick: a try-out of every step at a small scale (1 s phases, 50 devices × a day, a year of
//   one device at a 2-hour step, short pauses) in well under a minute; it prints its report and
//   leaves bench/RESULTS.md alone. The full run takes ~15 minutes and wants the machine quiet.
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { numericPoints } from "../src/formats/flatten.ts";
import { DEFAULT_LIMITS } from "../src/serve/limits.ts";
import type { BagtowerRecord } from "../src/record/schema.ts";
import { startVictoriaMetrics } from "../test/helpers/backends.ts";
import { evictPageCache, fmt, machine, quantile, REPO, summarize, table, writeSection } from "./lib.ts";
import { closedLoop, dueWindow, httpPost, openLoop, type LoadResult, type Reply } from "./serve-http.ts";
import { toRates } from "../src/serve/api.ts";
import { schema3Walk, writeSchema3Database } from "../test/helpers/schema3-db.ts";
import { createRecordPool, POOL_STEPS } from "./record-pool.ts";
import { createWalk, influxLines, STEP_S, WEEK_STEPS } from "./walk.ts";

const QUICK = process.argv.includes("--quick");
const args = process.argv.slice(2).filter((a) => a !== "--quick");
const PHASE_S = Number(args[0] ?? (QUICK ? 1 : 5));
const WEEK_DEVICES = Number(args[1] ?? (QUICK ? 50 : 1000));
const DEVICES = 1000;
const BATCH = 500;
/** Records per device in the week load: 7 days of 10-minute records (a day in --quick). */
const WEEK_RECORDS = QUICK ? 144 : WEEK_STEPS;
/** The year of one device loaded beside the week: 10-minute records (2-hourly in --quick, a twelfth of them). */
const YEAR_STEP_S = QUICK ? 7200 : STEP_S;
const YEAR_RECORDS = (365 * 86400) / YEAR_STEP_S;
/** Waits for idle figures and background merges: shortened in --quick, whose figures are not judged. */
const pause = (ms: number) => Bun.sleep(QUICK ? Math.min(ms, 300) : ms);
/** How long a store may take to seal what was loaded (headRecords 0 on /healthz) before the bench goes on without it. */
const SEAL_CAP_MS = QUICK ? 25_000 : 600_000;
/**
 * A head that has not shrunk for this long is as sealed as it gets while its devices are recent:
 * schema 4 keeps each device's open hour in the head until the device has been silent for 15
 * minutes. Longer than two of its seal job's 10-second periods.
 */
const SEAL_STABLE_MS = 21_000;
const SINGLE_CONNS = 64;
const BATCH_CONNS = 4;
const OPEN_CONNS = 256;
const WARMUP_SINGLE = QUICK ? 200 : 1000;
const WARMUP_MS = QUICK ? 1000 : 3000;
const WARMUP_BATCH = 4;
const API_KEY = "bench-ingest-key-0123456789";
const LOAD_CAP_MS = 600_000;
const GRAPH_REPS = QUICK ? 5 : 20;

const runStarted = performance.now();
const loadAvg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadAtStart = loadAvg();
const binary = join(REPO, "dist/bagtower-linux-x64");
const work = mkdtempSync(join(tmpdir(), "bagtower-bench-serve-"));
const log = (line: string) => console.error(`[${((performance.now() - runStarted) / 1000).toFixed(1)} s] ${line}`);
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20)} MiB`;

await $`${process.execPath} ${join(REPO, "scripts/build.ts")} linux-x64`.quiet();
// As bench/collect.ts does: a binary just written sits in the page cache in large blocks, and a
// process that maps it counts each block it touches whole (~5-10 MiB more RSS than a device sees
// after a reboot or install.sh, which drops the binary it installs). Dropped once; every serve of
// the run then faults its pages in from disk as a device does.
const evicted = evictPageCache(binary);

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
// Values from bench/walk.ts: every device's numbers take a seeded random walk around the pi4
// fixture's, as a real device's do (constant values would compress to nothing in any store).
const WALK_SEED = 12;
const template = createWalk(WALK_SEED, 1).recordAt(0, 0);
const ITEMS = template.data.length;
const FIELDS = numericPoints(template).length;
const TEMPLATE_BYTES = JSON.stringify(template).length;
const deviceName = (d: number) => template.meta.hostname.replace(/\d+$/, "") + String(d).padStart(4, "0");

// The load phases' records: a pool of walked records per device (bench/record-pool.ts).
const recordPool = createRecordPool(WALK_SEED + 1, DEVICES);
const recordJson = recordPool.json;
const influxLineOf = recordPool.influx;

// Every generated record is new: device = serial mod 1,000, and each device's timestamps go up by
// one second per round over the fleet (unique per device, all within the past week).
const TS_BASE = Math.floor(Date.now() / 1000) - 6 * 86400;
let serial = 0;
const RUN = Date.now().toString(36);
const nextRecord = () => {
  const n = serial++;
  return { d: n % DEVICES, ts: TS_BASE + Math.floor(n / DEVICES), id: `bench-${RUN}-${n}`, seq: Math.floor(n / DEVICES) };
};

type Kind = "bagtower" | "floor" | "influx";
function maker(kind: Kind, port: number, perRequest: number) {
  return () => {
    const parts: string[] = [];
    for (let k = 0; k < perRequest; k++) {
      const r = nextRecord();
      parts.push(kind === "influx" ? influxLineOf(r.d, r.ts, r.seq) : recordJson(r.d, r.ts, r.id, r.seq));
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
  /** VictoriaMetrics' -storageDataPath. */
  dataDir?: string;
  stop(): Promise<string>;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
}

/** Spawns a server on the server CPU and waits for the line that names its port. */
async function spawnServer(name: string, cmd: string[], portLine: RegExp, env: Record<string, string | undefined>, startTimeoutMs = 20_000): Promise<Running> {
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
  const found = await Promise.race([port, proc.exited.then(() => -1), Bun.sleep(startTimeoutMs).then(() => 0)]);
  if (found <= 0) {
    proc.kill("SIGKILL");
    throw new Error(`${name} did not start (${found < 0 ? `exited ${proc.exitCode}` : `no port after ${startTimeoutMs / 1000} s`}); stderr:\n${text}`);
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
// From a file, as serve recommends (a key on the command line is visible in ps, and serve warns).
const apiKeyFile = join(work, "api-key");
writeFileSync(apiKeyFile, `${API_KEY}\n`, { mode: 0o600 });
const startServe = (db: string, startTimeoutMs?: number) =>
  spawnServer(
    "bagtower serve",
    // Every request of the bench comes from 127.0.0.1, so the per-address request limit is off.
    [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--db", db, "--api-key-file", apiKeyFile, "--home", serveHome, "--rate-limit", "0"],
    /dashboard: http:\/\/127\.0\.0\.1:(\d+)\//,
    { PATH: process.env.PATH, HOME: serveHome },
    startTimeoutMs,
  );
const startFloor = () => spawnServer("floor", [process.execPath, join(REPO, "bench/serve-floor.ts")], /http:\/\/127\.0\.0\.1:(\d+)\//, { PATH: process.env.PATH });

async function startPeer(): Promise<Running> {
  const vm = await startVictoriaMetrics();
  const port = Number(new URL(vm.url).port);
  const cmdlineOf = (p: string) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, "utf8");
    } catch {
      return "";
    }
  };
  const found = readdirSync("/proc").find((p) => /^\d+$/.test(p) && cmdlineOf(p).includes(`-httpListenAddr=127.0.0.1:${port}\0`));
  if (!found) throw new Error("cannot find the VictoriaMetrics process");
  const pid = Number(found);
  const dataDir = /-storageDataPath=([^\0]+)/.exec(cmdlineOf(found))?.[1];
  await pinToServerCpu(pid);
  return { name: "VictoriaMetrics", port, pid, dataDir, stderr: () => "", stop: async () => (await vm.stop(), "stopped") };
}

/** Bytes of every file under a directory (apparent sizes, as a database file's size is). */
function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    try {
      total += statSync(join(entry.parentPath, entry.name)).size;
    } catch {
      // A part merged away between the listing and the stat is no longer on the disk.
    }
  }
  return total;
}

function rssOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** A database file with its WAL, in bytes. */
const dbFileBytes = (path: string) => [path, `${path}-wal`].reduce((n, p) => n + (statSync(p, { throwIfNoEntry: false })?.size ?? 0), 0);

interface Sealed {
  /** Whether /healthz reports store.headRecords at all (schema 3 has no head: nothing to wait for). */
  present: boolean;
  /** Until the head was empty, or (stable) last shrank. */
  ms: number;
  headRecords?: number;
  /** The head stopped shrinking before it was empty (SEAL_STABLE_MS), or the wait hit SEAL_CAP_MS. */
  stopped?: "stable" | "cap";
}

/**
 * Waits until /healthz shows everything loaded sealed into chunks (store.headRecords 0), or the
 * head stops shrinking (SEAL_STABLE_MS), at most SEAL_CAP_MS.
 */
async function waitSealed(port: number): Promise<Sealed> {
  const started = performance.now();
  let last = Number.POSITIVE_INFINITY;
  let shrankAt = started;
  for (;;) {
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { store?: { headRecords?: number } };
    const headRecords = health.store?.headRecords;
    const now = performance.now();
    if (headRecords === undefined || headRecords === 0) return { present: headRecords !== undefined, ms: now - started, headRecords };
    if (headRecords < last) shrankAt = now;
    last = headRecords;
    if (now - shrankAt >= SEAL_STABLE_MS) return { present: true, ms: shrankAt - started, headRecords, stopped: "stable" };
    if (now - started >= SEAL_CAP_MS) return { present: true, ms: now - started, headRecords, stopped: "cap" };
    await Bun.sleep(250);
  }
}

interface TableSizes {
  /** dbstat: every table's pages with its indexes; length: the sum of its columns' lengths (no page overhead). */
  method: "dbstat" | "length";
  schema: number;
  /** Bytes per table, its indexes included. */
  tables: Map<string, number>;
  /** The rollups table's bytes split by tier (300, 3600) in proportion to their data, when the table exists. */
  tiers?: Map<number, number>;
}

/** Bytes per table of a stopped store's database (opened read-only). */
function tableSizes(path: string): TableSizes {
  const db = new Database(path, { readonly: true });
  try {
    const schema = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    const objects = db.query("SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").all() as { type: string; name: string; tbl_name: string }[];
    const tableOf = new Map(objects.map((o) => [o.name, o.tbl_name]));
    const tables = new Map<string, number>();
    const add = (name: string, bytes: number) => tables.set(tableOf.get(name) ?? name, (tables.get(tableOf.get(name) ?? name) ?? 0) + bytes);
    let method: TableSizes["method"] = "dbstat";
    try {
      for (const r of db.query("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name").all() as { name: string; bytes: number }[]) add(r.name, r.bytes);
    } catch {
      // A SQLite built without SQLITE_ENABLE_DBSTAT_VTAB: the data alone.
      method = "length";
      for (const o of objects.filter((x) => x.type === "table" && !x.name.startsWith("sqlite_"))) {
        const columns = (db.query(`SELECT name FROM pragma_table_info('${o.name}')`).all() as { name: string }[]).map((c) => `coalesce(length("${c.name}"), 0)`);
        add(o.name, (db.query(`SELECT coalesce(sum(${columns.join(" + ")}), 0) AS n FROM "${o.name}"`).get() as { n: number }).n);
      }
    }
    let tiers: Map<number, number> | undefined;
    if (tableOf.has("rollups")) {
      const rows = db.query("SELECT tier, sum(length(data)) AS bytes FROM rollups GROUP BY tier").all() as { tier: number; bytes: number }[];
      const data = rows.reduce((n, r) => n + r.bytes, 0);
      tiers = new Map(rows.map((r) => [r.tier, ((tables.get("rollups") ?? 0) * r.bytes) / Math.max(1, data)]));
    }
    return { method, schema, tables, tiers };
  } finally {
    db.close();
  }
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
  const a = await closedLoop({ port, conns: 8, durationMs: WARMUP_MS, maxRequests: WARMUP_SINGLE, make: maker(kind, port, 1) });
  const b = await closedLoop({ port, conns: 2, durationMs: WARMUP_MS, maxRequests: WARMUP_BATCH, make: maker(kind, port, BATCH) });
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

// --- throughput in interleaved rounds ---------------------------------------------------------------
// The phases above run serve, then the floor, then VictoriaMetrics, about 40 s apart, and this
// machine's speed drifts by more than the targets' margins within minutes (a fresh serve's single
// pushes: 13,300/s and 8,300/s in two runs 2 minutes apart, its CPU time per push doubling with
// it). The throughput targets are decided here instead: fresh processes of both, one after the
// other, the order swapped every round, and the median of the rounds' ratios.
interface Throughput {
  single: number;
  batch: number;
  /** Non-2xx answers or broken connections (each is also a failed check). */
  failed: number;
}

async function throughputOf(kind: "bagtower" | "influx", start: () => Promise<Running>): Promise<Throughput> {
  const server = await start();
  try {
    await warmUp(kind, server.port);
    const single = await closedLoop({ port: server.port, conns: SINGLE_CONNS, durationMs: PHASE_S * 1000, maxRequests: 1_000_000, make: maker(kind, server.port, 1), check: checker(kind, 1) });
    const batch = await closedLoop({ port: server.port, conns: BATCH_CONNS, durationMs: PHASE_S * 1000, maxRequests: 100_000, make: maker(kind, server.port, BATCH), check: checker(kind, BATCH) });
    const failed = (r: LoadResult) => Object.entries(r.statuses).reduce((n, [status, count]) => (/^2\d\d$/.test(status) ? n : n + count), 0);
    return { single: single.ok / (single.elapsedMs / 1000), batch: batch.okUnits / (batch.elapsedMs / 1000), failed: failed(single) + failed(batch) };
  } finally {
    roundStops.push(`${server.name}: ${await server.stop()}`);
  }
}

/** How each round's process ended: anything but a clean exit is printed with the rounds. */
const roundStops: string[] = [];
const ROUNDS = QUICK ? 1 : 3;
const rounds: { order: string; serve: Throughput; peer: Throughput }[] = [];
for (let i = 0; i < ROUNDS; i++) {
  // The first round starts with VictoriaMetrics, whose phases above came last.
  const peerFirst = i % 2 === 0;
  log(`throughput round ${i + 1}/${ROUNDS}: ${peerFirst ? "VictoriaMetrics, then bagtower serve" : "bagtower serve, then VictoriaMetrics"}`);
  const serveRound = () => throughputOf("bagtower", () => startServe(join(work, `round-${i + 1}.db`)));
  const peerRound = () => throughputOf("influx", startPeer);
  const first = await (peerFirst ? peerRound() : serveRound());
  const second = await (peerFirst ? serveRound() : peerRound());
  rounds.push({ order: peerFirst ? "VictoriaMetrics first" : "serve first", serve: peerFirst ? second : first, peer: peerFirst ? first : second });
}
/** The rounds' medians of one figure: serve's, the peer's, and of their ratio round by round. */
const roundsOf = (pick: (t: Throughput) => number) => ({
  serve: summarize(rounds.map((r) => pick(r.serve))).median,
  peer: summarize(rounds.map((r) => pick(r.peer))).median,
  ratio: summarize(rounds.map((r) => pick(r.serve) / pick(r.peer))).median,
});
const roundsSingle = roundsOf((t) => t.single);
const roundsBatch = roundsOf((t) => t.batch);
const roundsFailed = rounds.reduce((n, r) => n + r.serve.failed + r.peer.failed, 0);

// --- the week: 1,000 devices × 1,008 ten-minute records ---------------------------------------------------
const weekDb = join(work, "week.db");
const weekNowS = Math.floor(Date.now() / 1000);
const weekFrom = weekNowS - WEEK_RECORDS * STEP_S;
const weekTotal = WEEK_DEVICES * WEEK_RECORDS;
const weekRequests = Math.ceil(weekTotal / BATCH);

/**
 * Loads the week, device by device, each device's records in time order (its ten-minute grid,
 * offset per device so the fleet is not in lockstep): the fast way to load, as a restore or a
 * backfill would. Both systems get the same walk (same seed), so the same values.
 */
function loadWeek(kind: "bagtower" | "influx", port: number): Promise<LoadResult> {
  const walk = createWalk(WALK_SEED, WEEK_DEVICES, { start: weekFrom, idPrefix: `week-${RUN}` });
  let next = 0;
  return closedLoop({
    port,
    conns: BATCH_CONNS,
    durationMs: LOAD_CAP_MS,
    maxRequests: weekRequests,
    make: () => {
      const first = next * BATCH;
      next++;
      const records: BagtowerRecord[] = [];
      for (let j = first; j < Math.min(first + BATCH, weekTotal); j++) records.push(walk.recordAt(Math.floor(j / WEEK_RECORDS), j % WEEK_RECORDS));
      const bytes =
        kind === "influx"
          ? httpPost(port, "/write?precision=s", influxLines(records), { "Content-Type": "text/plain; charset=utf-8" })
          : httpPost(port, "/logs", JSON.stringify(records), { "Content-Type": "application/json", "x-api-key": API_KEY });
      return { bytes, units: records.length };
    },
    check:
      kind === "influx"
        ? checker("influx", BATCH)
        : (reply) => {
            const body = JSON.parse(reply.body) as { duplicates?: number };
            return body.duplicates === 0 ? undefined : reply.body.slice(0, 120);
          },
  });
}

let week = await startServe(weekDb);
log(`week load into serve: ${WEEK_DEVICES} devices × ${WEEK_RECORDS} records in ${weekRequests} batches`);
const weekDisk0 = diskWrites(week.pid);
const weekLoad = await withCpu(week.pid, () => loadWeek("bagtower", week.port));
const weekLoaded = weekLoad.okUnits;
const weekDiskPerRecord = (diskWrites(week.pid) - weekDisk0) / Math.max(1, weekLoaded);
const weekLoadS = weekLoad.elapsedMs / 1000;
const weekAfterLoad = rssOf(week.pid);
log(`week load into serve: ${weekLoaded} records in ${fmt(weekLoadS)} s`);
const weekSeal = await waitSealed(week.port);
if (weekSeal.present) log(`week sealed: headRecords ${weekSeal.headRecords} after ${fmt(weekSeal.ms / 1000)} s`);
await pause(2000);
const weekIdle = rssOf(week.pid);
await pause(8000);
const weekIdle10 = rssOf(week.pid);

const graphDevice = deviceName(Math.floor(WEEK_DEVICES / 2));
const base = `http://127.0.0.1:${week.port}`;
const graphMs: number[] = [];
let graphItems = 0;
let graphPoints = 0;
let graphBytes = 0;

/** The device's page: its items, of which the numeric ones have graphs. */
async function numericItems(url: string, device: string): Promise<{ id: string; shape: string }[]> {
  const answer = (await (await fetch(`${url}/api/devices/${device}`)).json()) as { items: { id: string; shape: string }[] };
  return answer.items.filter((i) => i.shape !== "string");
}

/** One load of a device's page as the dashboard does it: the device, then every numeric item's series in one request (`items=`). */
async function graphLoad(url: string, device: string, query: string) {
  const started = performance.now();
  const numeric = await numericItems(url, device);
  const text = await (await fetch(`${url}/api/devices/${device}/series?items=${numeric.map((i) => encodeURIComponent(i.id)).join(",")}&${query}`)).text();
  const ms = performance.now() - started;
  const series = (JSON.parse(text) as { series: { points: Record<string, unknown[]>; tier?: string }[] }).series;
  return {
    ms,
    items: numeric.length,
    bytes: text.length,
    points: series.reduce((n, s) => n + Object.values(s.points ?? {}).reduce((m, p) => m + p.length, 0), 0),
    tiers: [...new Set(series.map((s) => s.tier ?? "—"))],
  };
}

/** The same page as before `items=`: the device, then one request per numeric item, all in parallel (the reference for graphLoad). */
async function graphLoadPerItem(url: string, device: string, query: string): Promise<number> {
  const started = performance.now();
  const numeric = await numericItems(url, device);
  await Promise.all(numeric.map(async (i) => (await fetch(`${url}/api/devices/${device}/series?item=${encodeURIComponent(i.id)}&${query}`)).text()));
  return performance.now() - started;
}

/** The dashboard's step for a range: about 600 points, never under a minute (seriesStep in src/serve/dashboard/series.js). */
const dashboardStep = (rangeS: number) => Math.max(60, Math.round(rangeS / 600));
/** The raw request (no `step`: every sample of the week), timed beside the dashboard's and reported. */
const rawGraphMs: number[] = [];
let rawGraphPoints = 0;
let rawGraphBytes = 0;
/** The step the dashboard sends for its 7-day range. */
const graphStep = dashboardStep(7 * 86400);
let graphTiers: string[] = [];
const graphRound = async () => {
  for (let rep = 0; rep < GRAPH_REPS; rep++) {
    // As the dashboard asks for its 7-day range: from, to (now) and its step.
    const toS = Math.floor(Date.now() / 1000);
    const one = await graphLoad(base, graphDevice, `from=${weekFrom}&to=${toS}&step=${graphStep}`);
    graphMs.push(one.ms);
    graphItems = one.items;
    graphBytes = one.bytes;
    graphPoints = one.points;
    graphTiers = one.tiers;
    const raw = await graphLoad(base, graphDevice, `from=${weekFrom}`);
    rawGraphMs.push(raw.ms);
    rawGraphPoints = raw.points;
    rawGraphBytes = raw.bytes;
  }
};
await graphRound();
const graphStats = summarize(graphMs);
const rawGraphStats = summarize(rawGraphMs);
await pause(2000);
const afterGraphs = rssOf(week.pid);
// The same again: does serving graphs keep growing the process?
await graphRound();
await pause(2000);
const afterGraphs2 = rssOf(week.pid);
const sizeOf = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};
const walBytes = sizeOf(`${weekDb}-wal`);
const dbBytesRunning = sizeOf(weekDb);
const weekStops = [await week.stop()];
let weekStderr = week.stderr();
// serve's close already checkpoints; TRUNCATE again here so nothing of the week is left in a WAL.
{
  const db = new Database(weekDb);
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
}
const dbBytes = sizeOf(weekDb);
const walAfterCheckpoint = sizeOf(`${weekDb}-wal`);
const serveWeekBytes = dbBytes + walAfterCheckpoint;
const weekTables = tableSizes(weekDb);
// The same database after a restart: what a serve that has been idle since its start holds.
week = await startServe(weekDb);
await pause(2000);
const restartIdle = rssOf(week.pid);
weekStops.push(await week.stop());
weekStderr += week.stderr();

// Live single-record pushes, as the week's devices go on reporting: capacity (closed loop) into
// the week's database and, by the same procedure, into a fresh one; then latency (open loop) into
// the week's database at half its own capacity there and at half the fresh peak of the phases
// above. A fresh process for each, after the same warm-up: one push from each of the week's devices
// (as the phases above warm up with one record from each of their 1,000 devices), so that what is
// timed is the database, not the first push of a device after a start (it reads the device's
// series, items and texts back from the tables: with half the fleet not yet seen, the open loop's
// first half second had a p99 of 70-90 ms against 13-15 ms, scratch runs of 2026-12-03).
let liveSerial = 0;
const liveMaker = (port: number) => () => {
  const n = liveSerial++;
  const d = n % WEEK_DEVICES;
  const ts = weekNowS + 1 + Math.floor(n / WEEK_DEVICES);
  return { bytes: httpPost(port, "/logs", recordJson(d, ts, `live-${RUN}-${n}`, WEEK_RECORDS + n), { "Content-Type": "application/json", "x-api-key": API_KEY }), units: 1 };
};
const LIVE_MS = QUICK ? 1000 : 3000;
/** Pushes before each live phase: one from each of the week's devices. */
const LIVE_WARMUP = WEEK_DEVICES;
async function liveOn<T extends LoadResult>(db: string, what: string, phase: (port: number) => Promise<T>): Promise<Measured<T>> {
  const server = await startServe(db);
  await closedLoop({ port: server.port, conns: 8, durationMs: WARMUP_MS, maxRequests: LIVE_WARMUP, make: liveMaker(server.port) });
  log(`live pushes: ${what}`);
  const result = await withCpu(server.pid, () => phase(server.port));
  weekStops.push(await server.stop());
  weekStderr += server.stderr();
  return result;
}
// Each round of the fleet moves the live records' timestamps one second ahead of the week's end,
// and serve refuses a record more than futureSeconds (600 s) ahead of its clock: the full run's
// ~270 rounds stay well inside that, but --quick's fleet of 50 would pass it, so its closed
// loops stop at 2,000 pushes (40 rounds each).
const LIVE_MAX_REQUESTS = QUICK ? 2_000 : 100_000;
const closedLive = (port: number) => closedLoop({ port, conns: SINGLE_CONNS, durationMs: LIVE_MS, maxRequests: LIVE_MAX_REQUESTS, make: liveMaker(port), check: checker("bagtower", 1) });
const liveFresh = await liveOn(join(work, "fresh-live.db"), "a fresh database, closed loop", closedLive);
const liveClosed = await liveOn(weekDb, "the week's database, closed loop", closedLive);
const rateOf = (r: LoadResult) => r.okUnits / (r.elapsedMs / 1000);
const liveHalfRate = Math.max(1, rateOf(liveClosed) / 2);
// The latency loops run SETTLE_S seconds at their rate before the PHASE_S seconds that are measured.
// A process's first seconds under a load are its JIT compiling the hot paths on the one core it
// has (scratch of 2026-12-04, a fresh compiled serve at 6,000 pushes/s after one push per device:
// p99 55-80 ms in the first second, 13-20 ms from about the fifth on; after 30,000 pushes
// 13-18 ms from the first second): a start transient that a server running for days pays once
// after each start. Both are reported: the settled window is the target's figure, the first
// SETTLE_S seconds after the start beside it.
const SETTLE_S = QUICK ? 1 : 10;
const openLive = (rate: number) => (port: number) =>
  openLoop({ port, conns: OPEN_CONNS, durationMs: (SETTLE_S + PHASE_S) * 1000, maxRequests: 10_000_000, rate, spin: pinned, make: liveMaker(port), check: checker("bagtower", 1) });
const liveOpenRun = await liveOn(weekDb, `the week's database, open loop at ${Math.round(liveHalfRate)}/s (${SETTLE_S} s settling, ${PHASE_S} s measured)`, openLive(liveHalfRate));
const liveOpen = dueWindow(liveOpenRun, SETTLE_S * 1000);
const liveOpenStart = dueWindow(liveOpenRun, 0, SETTLE_S * 1000);
const liveRate = results.serve!.half.rate;
const liveOpenFreshHalfRun = await liveOn(weekDb, `the week's database, open loop at ${Math.round(liveRate)}/s (${SETTLE_S} s settling, ${PHASE_S} s measured)`, openLive(liveRate));
const liveOpenFreshHalf = dueWindow(liveOpenFreshHalfRun, SETTLE_S * 1000);
const liveOpenFreshHalfStart = dueWindow(liveOpenFreshHalfRun, 0, SETTLE_S * 1000);

// --- one device's year beside the week: graphs over a week, 90 days and a year ---------------------
// One more device (the walk's next index, so a name none of the week's devices has), its records
// over the past 365 days loaded in batches into the week's database; the graphs are timed once
// the store has sealed them, each range with the step the dashboard sends (range/600, ≥ 60 s).
const yearDevice = deviceName(WEEK_DEVICES);
const yearNowS = Math.floor(Date.now() / 1000);
const yearWalk = createWalk(WALK_SEED + 2, WEEK_DEVICES + 1, { start: yearNowS - 365 * 86400, stepS: YEAR_STEP_S, idPrefix: `year-${RUN}` });
const yearServe = await startServe(weekDb);
log(`a year of ${yearDevice} into the week's database: ${YEAR_RECORDS} records`);
let yearNext = 0;
const yearLoad = await closedLoop({
  port: yearServe.port,
  conns: BATCH_CONNS,
  durationMs: LOAD_CAP_MS,
  maxRequests: Math.ceil(YEAR_RECORDS / BATCH),
  make: () => {
    const records: BagtowerRecord[] = [];
    for (let j = yearNext * BATCH; j < Math.min((yearNext + 1) * BATCH, YEAR_RECORDS); j++) records.push(yearWalk.recordAt(WEEK_DEVICES, j));
    yearNext++;
    return { bytes: httpPost(yearServe.port, "/logs", JSON.stringify(records), { "Content-Type": "application/json", "x-api-key": API_KEY }), units: records.length };
  },
  check: (reply) => ((JSON.parse(reply.body) as { duplicates?: number }).duplicates === 0 ? undefined : reply.body.slice(0, 120)),
});
const yearSeal = await waitSealed(yearServe.port);
log(`a year of ${yearDevice}: ${yearLoad.okUnits} records in ${fmt(yearLoad.elapsedMs / 1000)} s${yearSeal.present ? `, headRecords ${yearSeal.headRecords} after ${fmt(yearSeal.ms / 1000)} s` : ""}`);
const YEAR_RANGES = [
  { label: "a week", days: 7, target: 30 },
  { label: "90 days", days: 90, target: 50 },
  { label: "a year", days: 365, target: 50 },
];
const yearGraphs = [];
for (const range of YEAR_RANGES) {
  const toS = Math.floor(Date.now() / 1000);
  const fromS = toS - range.days * 86400;
  const stepS = dashboardStep(range.days * 86400);
  const loads = [];
  const perItem: number[] = [];
  for (let rep = 0; rep < GRAPH_REPS; rep++) {
    loads.push(await graphLoad(`http://127.0.0.1:${yearServe.port}`, yearDevice, `from=${fromS}&to=${toS}&step=${stepS}`));
    perItem.push(await graphLoadPerItem(`http://127.0.0.1:${yearServe.port}`, yearDevice, `from=${fromS}&to=${toS}&step=${stepS}`));
  }
  yearGraphs.push({ ...range, stepS, stats: summarize(loads.map((l) => l.ms)), perItem: summarize(perItem), last: loads.at(-1)! });
}
const yearRss = rssOf(yearServe.pid);
weekStops.push(await yearServe.stop());
weekStderr += yearServe.stderr();
// What the year device itself holds in the week's database (its samples' bytes: chunks, rollups,
// head rows): a backfill older than the raw tier goes to the rollups as it arrives, so these are
// the default tiers' bytes, measured (the week's own tiers, extrapolated, have no rollups yet).
const yearBytes = (() => {
  const db = new Database(weekDb, { readonly: true });
  try {
    const dev = (db.query("SELECT dev FROM devices WHERE id = ?").get(yearDevice) as { dev: number } | null)?.dev ?? -1;
    const sum = (sql: string) => (db.query(sql).get(dev) as { n: number | null }).n ?? 0;
    return {
      raw: sum("SELECT sum(length(c.data)) AS n FROM chunks c JOIN series s ON s.sid = c.sid WHERE s.dev = ?"),
      rollups: sum("SELECT sum(length(r.data)) AS n FROM rollups r JOIN series s ON s.sid = r.sid WHERE s.dev = ?"),
      head: sum("SELECT sum(length(vals)) AS n FROM head WHERE dev = ?"),
    };
  } finally {
    db.close();
  }
})();

// The same week into a fresh VictoriaMetrics, then its data directory after a flush.
const vmWeek = await startPeer();
log(`week load into VictoriaMetrics: ${WEEK_DEVICES} devices × ${WEEK_RECORDS} records`);
const vmLoad = await withCpu(vmWeek.pid, () => loadWeek("influx", vmWeek.port));
log(`week load into VictoriaMetrics: ${vmLoad.okUnits} records in ${fmt(vmLoad.elapsedMs / 1000)} s`);
const vmFlush = async () => void (await (await fetch(`http://127.0.0.1:${vmWeek.port}/internal/force_flush`)).arrayBuffer());
await vmFlush();
const vmBytesFlushed = treeBytes(vmWeek.dataDir!);
// Its background merges go on after the flush: the size once they have had 10 s.
await pause(10_000);
await vmFlush();
const vmWeekBytes = treeBytes(vmWeek.dataDir!);
const vmRows = Number(/^vm_rows_inserted_total\{type="influx"\} (\d+)/m.exec(await (await fetch(`http://127.0.0.1:${vmWeek.port}/metrics`)).text())?.[1] ?? Number.NaN);
const vmWeekRss = rssOf(vmWeek.pid);
const vmWeekStop = await vmWeek.stop();

// --- the migration of a schema-3 week --------------------------------------------------------------
// The week as the schema-3 store kept it (test/helpers/schema3-db.ts writes it directly, the same
// walk), then `serve --db` on it: from the spawn until /healthz answers, with what serve says on
// stderr meanwhile. One device's last day is read back over the API and compared with the walk.
const migDb = join(work, "schema3-week.db");
const migOptions = { devices: WEEK_DEVICES, recordsPerDevice: WEEK_RECORDS, endS: Math.floor(Date.now() / 1000), seed: WALK_SEED + 3, idPrefix: `s3-${RUN}` };
log(`a schema-3 week: ${WEEK_DEVICES} devices × ${WEEK_RECORDS} records, written directly`);
const genStarted = performance.now();
const generated = writeSchema3Database(migDb, migOptions);
const genS = (performance.now() - genStarted) / 1000;
const migBefore = dbFileBytes(migDb);
log(`serve on the schema-3 week (${mib(migBefore)})`);
const migStarted = performance.now();
const mig = await startServe(migDb, 3_600_000);
for (;;) {
  const ok = await fetch(`http://127.0.0.1:${mig.port}/healthz`).then((r) => r.ok, () => false);
  if (ok) break;
  await Bun.sleep(50);
}
const migS = (performance.now() - migStarted) / 1000;
const migSeal = await waitSealed(mig.port);
const migHealth = (await (await fetch(`http://127.0.0.1:${mig.port}/healthz`)).json()) as { records?: number; devices?: number };
const spot = await spotCheck(mig.port);
const migStop = await mig.stop();
const migStderr = mig.stderr();
{
  const db = new Database(migDb);
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
}
const migAfter = dbFileBytes(migDb);
const migSchema = tableSizes(migDb).schema;
log(`migration: ${fmt(migS)} s to /healthz; ${mib(migBefore)} → ${mib(migAfter)}; spot check: ${spot.text}`);
rmSync(work, { recursive: true, force: true });

/** One device's last day of every numeric item over the API, against the walk the generator wrote (counters as rates, as the API sends them). */
async function spotCheck(port: number): Promise<{ ok: boolean; text: string }> {
  const walk = schema3Walk(migOptions);
  const device = Math.floor(WEEK_DEVICES / 3);
  const records = Array.from({ length: Math.min(144, WEEK_RECORDS) }, (_, k) => walk.recordAt(device, WEEK_RECORDS - Math.min(144, WEEK_RECORDS) + k));
  const fromS = records[0]!.unixTimestamp;
  const toS = records.at(-1)!.unixTimestamp;
  let samples = 0;
  const wrong: string[] = [];
  for (const item of records[0]!.data) {
    if (item.type === "string") continue;
    const expected: Record<string, [number, number][]> = {};
    for (const r of records) {
      const val = r.data.find((i) => i.id === item.id)!.val;
      const entries = typeof val === "number" ? [["", val] as const] : Object.entries(val as Record<string, number>);
      for (const [key, value] of entries) (expected[key] ??= []).push([r.unixTimestamp, value]);
    }
    if (item.type === "counter") for (const key in expected) expected[key] = toRates(expected[key]!);
    const answer = (await (await fetch(`http://127.0.0.1:${port}/api/devices/${records[0]!.deviceId}/series?item=${item.id}&from=${fromS}&to=${toS}`)).json()) as { points?: Record<string, [number, number][]>; tier?: string };
    const same = JSON.stringify(answer.points) === JSON.stringify(expected);
    samples += Object.values(expected).reduce((n, p) => n + p.length, 0);
    if (!same) wrong.push(`${item.id}${answer.tier ? ` (tier ${answer.tier})` : ""}`);
  }
  const what = `${records[0]!.deviceId}'s last ${records.length} records, ${samples} samples of every numeric item`;
  return { ok: wrong.length === 0, text: wrong.length === 0 ? `all equal to the generated values (${what})` : `**differ** for ${wrong.join(", ")} (${what})` };
}

// --- the report -------------------------------------------------------------------------------------
const ratio = (a: number, b: number) => `${fmt(a / b, 2)}×`;
const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
// A figure of the fleet's week is not judged on a scaled-down run.
const weekVerdict = (ok: boolean) => (weekScaled ? "— (scaled run)" : verdict(ok));
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
const weekScaled = WEEK_DEVICES !== 1000 || weekLoaded !== 1000 * WEEK_STEPS;
const totalS = (performance.now() - runStarted) / 1000;
const pq = (h: { latencies: number[] } | undefined, q: number) => (h ? quantile([...h.latencies].sort((a, b) => a - b), q) : Number.NaN);
/** An open loop's p99 over each second of due time, as "s1 s2 …". */
const perSecondP99 = (r: Parameters<typeof dueWindow>[0]) =>
  Array.from({ length: Math.ceil(r.elapsedMs / 1000) }, (_, s) => dueWindow(r, s * 1000, (s + 1) * 1000))
    .filter((w) => w.latencies.length > 0)
    .map((w) => fmt(pq(w, 0.99), 1))
    .join(" ");
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

const perRecord = (bytes: number, records: number) => bytes / Math.max(1, records);
const serveBpr = perRecord(serveWeekBytes, weekLoaded);
const vmBpr = perRecord(vmWeekBytes, vmLoad.okUnits);
const bytesText = (bpr: number) => `${fmt(bpr, 0)} B/record (${fmt(bpr / FIELDS, 1)} B/sample)`;
const peer = results.peer!;
const yearRecords = 365 * 144;

// A year of one device from the week's tiers: raw samples kept 30 days, 5-minute buckets 90, 1-hour buckets a year.
const weekTimes = createWalk(WALK_SEED, WEEK_DEVICES, { start: weekFrom });
/** (device, bucket) pairs the week's records fill in a tier of `tierS` seconds. */
function weekBuckets(tierS: number): number {
  let n = 0;
  for (let d = 0; d < WEEK_DEVICES; d++) {
    let last = Number.NaN;
    for (let k = 0; k < WEEK_RECORDS; k++) {
      const bucket = Math.floor(weekTimes.timestampAt(d, k) / tierS);
      if (bucket !== last) n++;
      last = bucket;
    }
  }
  return n;
}
const RAW_30D = (30 * 86400) / STEP_S;
const FIVE_90D = (90 * 86400) / Math.max(300, STEP_S);
const HOUR_365D = 365 * 24;
const rawBytes = weekTables.tables.get("chunks");
const tierBytes = (tier: number) => weekTables.tiers?.get(tier) ?? 0;
const tiered = rawBytes !== undefined && weekTables.tiers !== undefined;
const rawPerRecord = (rawBytes ?? 0) / Math.max(1, weekLoaded);
const fivePerBucket = tierBytes(300) / Math.max(1, weekBuckets(300));
const hourPerBucket = tierBytes(3600) / Math.max(1, weekBuckets(3600));
const yearTiers = [rawPerRecord * RAW_30D, fivePerBucket * FIVE_90D, hourPerBucket * HOUR_365D];
const mb = (bytes: number) => `${fmt(bytes / 1e6, 2)} MB`;
const tablesText = [...weekTables.tables.entries()]
  .sort((a, b) => b[1] - a[1])
  .map(([name, bytes]) => `${name} ${mib(bytes)} (${fmt(bytes / Math.max(1, weekLoaded), 1)} B/record)`)
  .join("; ");
const yearMeasured = yearBytes.raw + yearBytes.rollups + yearBytes.head;
const yearRow = tiered
  ? [
      `${mb(yearMeasured)} measured: ${yearDevice}'s ${int(yearLoad.okUnits)} records over 365 days in the week's database (its samples' bytes: raw chunks ${mb(yearBytes.raw)}, rollups ${mb(yearBytes.rollups)}, head ${mb(yearBytes.head)}; ` +
        "what is older than the raw tier went to the rollups as it arrived: the default tiers, as `bench/store-year.ts` measures them on their own). " +
        `The week's own tiers extrapolated to a year (raw ${fmt(rawPerRecord, 1)} B/record × ${int(RAW_30D)} = ${mb(yearTiers[0]!)}, rollups ${mb(yearTiers[1]! + yearTiers[2]!)}) leave out the rollups a week does not make yet`,
      `VictoriaMetrics at its week's rate, every raw sample: ${fmt((vmBpr * yearRecords) / 1e6, 1)} MB`,
      ratio(yearMeasured, vmBpr * yearRecords),
      weekVerdict(yearMeasured <= 5e6),
    ]
  : [
      `no tier tables in this store (schema ${weekTables.schema}: no chunks, no rollups), so every raw record is kept: ${fmt((serveBpr * yearRecords) / 1e6, 1)} MB extrapolated, ${fmt(serveBpr, 0)} B × ${int(yearRecords)} records`,
      `VictoriaMetrics at its week's rate: ${fmt((vmBpr * yearRecords) / 1e6, 1)} MB`,
      ratio(serveBpr, vmBpr),
      weekVerdict((serveBpr * yearRecords) / 1e6 <= 5),
    ];
const sealText = (sealed: Sealed) =>
  !sealed.present
    ? "nothing to seal (no store.headRecords on /healthz)"
    : sealed.headRecords === 0
      ? `sealed ${fmt(sealed.ms / 1000)} s after the load`
      : sealed.stopped === "stable"
        ? `sealed but ${int(sealed.headRecords ?? Number.NaN)} head records ${fmt(sealed.ms / 1000)} s after the load, then no change for ${fmt(SEAL_STABLE_MS / 1000, 0)} s (the devices' open hours, sealed after 15 minutes of silence)`
        : `**${int(sealed.headRecords ?? Number.NaN)} head records still unsealed after ${fmt(sealed.ms / 1000)} s**`;
const yearGraphText = `${yearGraphs.map((y) => `${fmt(y.stats.median, 1)} ms`).join(" / ")}; one request per item in parallel, interleaved with them: ${yearGraphs.map((y) => `${fmt(y.perItem.median, 1)} ms`).join(" / ")}`;
const yearGraphDetail = yearGraphs
  .map((y) => `${y.label}: step ${int(y.stepS)} s, p90 ${fmt(y.stats.p90, 1)} ms, max ${fmt(y.stats.max, 1)} ms, ${int(y.last.points)} points in ${int(y.last.bytes)} bytes, tier ${y.last.tiers.join("/")}`)
  .join("; ");
// The dashboard line carries a one-time admin login: not for a results file, even from a serve long gone.
const migLines = migStderr.trim().split("\n").filter((l) => l !== "").map((l) => l.replace(/login=[^\s)]+/g, "login=…"));
const cmdArgs = process.argv.slice(2).join(" ");

const body = `Run ${new Date().toISOString()} on ${machine()}; total ${fmt(totalS, 0)} s; load average ${loadAtStart} at the start, ${loadAvg()} at the end (other processes share these cores).
Command: \`bun bench/serve.ts${cmdArgs ? ` ${cmdArgs}` : ""}\`.

Everything on loopback. Client and server share the 2 cores: ${pinned ? "the load generator (this Bun process, all its threads) is pinned to CPU 0 and each server to CPU 1 with `taskset`, so neither starves the other" : "**not pinned** (no taskset or fewer than 2 cores): client and server compete for the cores"}.
The load generator is a raw HTTP/1.1 keep-alive client (bench/serve-http.ts): closed loop with ${SINGLE_CONNS} connections for single records and ${BATCH_CONNS} for batches of ${BATCH}, ${PHASE_S} s each after a warm-up;
latency is an open loop at half of each system's own single-record peak (${OPEN_CONNS} connections; latency counted from each request's scheduled instant).
Records: \`bench/walk.ts\` (seeded): every device's values take a random walk around the pi4 fixture's (\`test/fixtures/proc/pi4/expected.json\`, ${ITEMS} items, ${FIELDS} numbers, ~${int(TEMPLATE_BYTES)} bytes of JSON): percents with one decimal in 0–100, network counters growing by ~1–6 MB per 10 minutes with a reboot (counters and uptime start over) about every two weeks per device, socket and process counts wandering as integers, temperature with one decimal, load averages with two. The load phases cycle through ${POOL_STEPS} walked records per device of ${DEVICES} devices (with a new unixTimestamp, recordId and seq each); the week is the walk itself. VictoriaMetrics gets the same records as Influx lines, one line of ${FIELDS} fields per record (\`influxLines\` of bench/walk.ts: its cheapest form; bagtower's influx sink writes a line per label set) on \`/write?precision=s\`.
\`bagtower serve\` is the compiled binary, ${evicted ? "dropped from the page cache after the build as a reboot or install.sh leave it (see bench/collect.ts)" : "**still in the page cache after the build** (dd iflag=nocache failed: its RSS counts ~5-10 MiB of the freshly written file)"}, with its defaults but \`--rate-limit 0\`: every request here comes from 127.0.0.1, and the default limit (${int(DEFAULT_LIMITS.requestsPerMinute)} requests a minute per key and address) would stop the load, as it would a runaway device.
**Acknowledgements differ:** bagtower serve answers after its SQLite commit is fsynced (WAL; the fsync on a worker thread, src/serve/wal-sync.ts); VictoriaMetrics answers 204 once the lines are buffered in memory, before its data reaches the disk (it writes them later, in the background; \`/internal/force_flush\` forces it).

### Issue 12's targets: the store of schema ${weekTables.schema}${weekTables.schema === 3 ? " (today's, the baseline)" : ""}

${table(
  ["figure", "target", "bagtower serve", "VictoriaMetrics / reference", "ratio", ""],
  [
    [
      `disk bytes per record at the end of the week${weekScaled ? " (**scaled**)" : ""}`,
      "≤ 100 B, ≤ 3× VictoriaMetrics",
      `${bytesText(serveBpr)}: ${mib(serveWeekBytes)} for ${int(weekLoaded)} records (database + WAL after serve stopped and \`PRAGMA wal_checkpoint(TRUNCATE)\`)`,
      `${bytesText(vmBpr)}: ${mib(vmWeekBytes)} data directory 10 s after \`/internal/force_flush\` (${mib(vmBytesFlushed)} right after it)`,
      ratio(serveBpr, vmBpr),
      weekVerdict(serveBpr <= 100 && serveBpr <= 3 * vmBpr),
    ],
    [
      `batched ingest, records/s (batches of ${BATCH}, ${BATCH_CONNS} connections, fresh processes; the median of ${ROUNDS} interleaved round(s), each round below)`,
      "≥ 1.0× VictoriaMetrics",
      `${int(roundsBatch.serve)}/s; the first phases (serve, then VictoriaMetrics 40 s later): ${int(serveSingle.batchRate)}/s`,
      `${int(roundsBatch.peer)}/s; the first phases: ${int(peer.batchRate)}/s`,
      `${fmt(roundsBatch.ratio, 2)}×; the first phases ${ratio(serveSingle.batchRate, peer.batchRate)}`,
      verdict(roundsBatch.ratio >= 1 && roundsFailed === 0),
    ],
    [
      `single-record pushes/s (${SINGLE_CONNS} connections, fresh processes; the median of ${ROUNDS} interleaved round(s), each round below)`,
      "≥ 1.0× VictoriaMetrics",
      `${int(roundsSingle.serve)}/s; the first phases: ${int(serveSingle.singlePeak)}/s`,
      `${int(roundsSingle.peer)}/s; the first phases: ${int(peer.singlePeak)}/s`,
      `${fmt(roundsSingle.ratio, 2)}×; the first phases ${ratio(serveSingle.singlePeak, peer.singlePeak)}`,
      verdict(roundsSingle.ratio >= 1 && roundsFailed === 0),
    ],
    [
      `live single-record pushes into the week's database (${SINGLE_CONNS} connections, ${fmt(LIVE_MS / 1000, 0)} s)`,
      "≥ 0.9× a fresh database",
      `${int(rateOf(liveClosed))}/s`,
      `fresh database, same procedure: ${int(rateOf(liveFresh))}/s`,
      ratio(rateOf(liveClosed), rateOf(liveFresh)),
      weekVerdict(rateOf(liveClosed) >= 0.9 * rateOf(liveFresh)),
    ],
    [
      `p99 at half of serve's own peak, on the week's database (a fresh process: ${PHASE_S} s measured after ${SETTLE_S} s at the same rate; its first ${SETTLE_S} s after the start beside it)`,
      "≤ 20 ms",
      `${fmt(pq(liveOpen, 0.99), 2)} ms at ${int(liveHalfRate)}/s (p50 ${fmt(pq(liveOpen, 0.5), 2)} ms); the first ${SETTLE_S} s after the start: ${fmt(pq(liveOpenStart, 0.99), 2)} ms`,
      `at half the fresh peak, ${int(liveRate)}/s: ${fmt(pq(liveOpenFreshHalf, 0.99), 2)} ms; its first ${SETTLE_S} s: ${fmt(pq(liveOpenFreshHalfStart, 0.99), 2)} ms`,
      "—",
      weekVerdict(pq(liveOpen, 0.99) <= 20),
    ],
    [`one device's graphs over a week (the device, then its ${graphItems} series in one request, as the dashboard asks: from, to and step ${int(graphStep)} s), median of ${GRAPH_REPS}`, "≤ 30 ms", `${fmt(g.median, 1)} ms (p90 ${fmt(g.p90, 1)}, max ${fmt(g.max, 1)}; tier ${graphTiers.join("/")})`, "—", "—", weekVerdict(g.median <= 30)],
    [`the same week without a step (every raw sample: what an API client gets that sends only from), median of ${GRAPH_REPS}, interleaved with the above`, "reported", `${fmt(rawGraphStats.median, 1)} ms (p90 ${fmt(rawGraphStats.p90, 1)}, max ${fmt(rawGraphStats.max, 1)}; ${int(rawGraphPoints)} points in ${int(rawGraphBytes)} bytes)`, "—", "—", "—"],
    [
      `one device's graphs over a week / 90 days / a year, for a device with ${int(yearLoad.okUnits)} records over 365 days in the week's database (the device, then its ${yearGraphs[0]!.last.items} series in one request with the dashboard's step), median of ${GRAPH_REPS}`,
      "≤ 30 ms / ≤ 50 ms / ≤ 50 ms",
      `${yearGraphText} (${yearGraphDetail})`,
      "—",
      "—",
      weekVerdict(yearGraphs.every((y) => y.stats.median <= y.target)),
    ],
    ["idle RSS 2 s after the load", "≤ 80 MB", `${mib(weekIdle.rss)} (${fmt(weekIdle.rss / 1e6)} MB)`, `VictoriaMetrics after its week load: ${mib(vmWeekRss.rss)}`, ratio(weekIdle.rss, vmWeekRss.rss), weekVerdict(weekIdle.rss <= 80e6)],
    ["peak RSS (VmHWM) during the load", "≤ 200 MB", `${mib(weekAfterLoad.hwm)} (${fmt(weekAfterLoad.hwm / 1e6)} MB)`, `VictoriaMetrics: ${mib(vmWeekRss.hwm)}`, ratio(weekAfterLoad.hwm, vmWeekRss.hwm), weekVerdict(weekAfterLoad.hwm <= 200e6)],
    [`disk bytes per table at the end of the week (${weekTables.method === "dbstat" ? "dbstat pages, indexes with their table" : "sum of column lengths: this SQLite has no dbstat"})`, "reported", tablesText, "—", "—", "—"],
    ["a year of one device", "≤ 5 MB", ...yearRow],
    [
      `migration of a generated schema-3 week (${int(generated.records)} records; the issue's "schema 2" is today's schema 3)`,
      "reported",
      `${fmt(migS, 1)} s from the spawn of \`serve --db\` to /healthz answering (schema 3 → ${migSchema}); ${mib(migBefore)} → ${mib(migAfter)} (database + WAL, after stop and checkpoint); ${sealText(migSeal)}; /healthz: ${int(migHealth.records ?? Number.NaN)} records, ${int(migHealth.devices ?? Number.NaN)} devices; spot check over the API: ${spot.text}; ${migLines.length} lines on stderr (below)`,
      `generated directly in ${fmt(genS, 1)} s`,
      "—",
      spot.ok ? "reported" : "**records lost or changed**",
    ],
  ],
)}

Throughput in ${ROUNDS} interleaved round(s) (each a fresh process of both systems with its warm-up, ${PHASE_S} s of single-record pushes then ${PHASE_S} s of batches, the order swapped every round; the targets above take the median of the rounds' ratios):

${table(
  ["round", "order", "serve single/s", "VictoriaMetrics single/s", "ratio", "serve batched records/s", "VictoriaMetrics batched records/s", "ratio"],
  rounds.map((r, i) => [String(i + 1), r.order, int(r.serve.single), int(r.peer.single), ratio(r.serve.single, r.peer.single), int(r.serve.batch), int(r.peer.batch), ratio(r.serve.batch, r.peer.batch)]),
)}
${roundsFailed === 0 ? "Every answer in the rounds was a success." : `**${roundsFailed} answers in the rounds were failures** (non-2xx or broken connections): the rounds' targets count as missed.`}${roundStops.every((stop) => /: (exit 0|stopped)$/.test(stop)) ? "" : ` **Not every round's process stopped cleanly:** ${roundStops.join("; ")}.`}

Week loads, ${BATCH_CONNS} connections, batches of ${BATCH}, device by device, timestamps over the past 7 days: serve took ${int(weekLoaded)} records in ${fmt(weekLoadS)} s (${int(rateOf(weekLoad))} records/s; ${statusText(weekLoad)}; ${cpuText(weekLoad, false)}; the server wrote ${kib(weekDiskPerRecord)} to disk per record${weekLoad.stoppedBy !== "requests" ? `; **stopped by ${weekLoad.stoppedBy}**` : ""});
VictoriaMetrics took ${int(vmLoad.okUnits)} in ${fmt(vmLoad.elapsedMs / 1000)} s (${int(rateOf(vmLoad))} records/s; ${statusText(vmLoad)}; ${cpuText(vmLoad, false)}${vmLoad.stoppedBy !== "requests" ? `; **stopped by ${vmLoad.stoppedBy}**` : ""}) and counted ${int(vmRows)} rows inserted (${int(vmRows / FIELDS)} lines of ${FIELDS} fields; stop: ${vmWeekStop}).
serve's database while it ran, after the graphs: ${mib(dbBytesRunning)} + WAL ${mib(walBytes)}; after its stop and the checkpoint: ${mib(dbBytes)} + WAL ${mib(walAfterCheckpoint)}. The week's seal: ${sealText(weekSeal)}.
The year of ${yearDevice} (every ${int(YEAR_STEP_S)} s over the past 365 days, batches of ${BATCH}, ${BATCH_CONNS} connections, into the week's database after the live phases): ${int(yearLoad.okUnits)} records in ${fmt(yearLoad.elapsedMs / 1000)} s (${statusText(yearLoad)}); ${sealText(yearSeal)}; RSS after its graphs ${mib(yearRss.rss)}.

serve's stderr during the migration (${migLines.length} lines${migLines.length > 20 ? ", the first 5 and the last 15" : ""}; stop: ${migStop}):

\`\`\`
${(migLines.length > 20 ? [...migLines.slice(0, 5), "…", ...migLines.slice(-15)] : migLines).join("\n")}
\`\`\`
${weekScaled ? `\n**Scaled down**: ${int(weekLoaded)} of the ${int(1000 * WEEK_STEPS)} records of 1,000 devices × a week; the targets are for the full fleet (\`bun bench/serve.ts\` without \`--quick\` loads it all), so its figures are not judged.\n` : ""}
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

### The week's database: ${int(WEEK_DEVICES)} devices × ${WEEK_RECORDS} ten-minute records${weekScaled ? " (**scaled down**)" : ""}

${table(
  ["system", "value", "reference (floor/peer)", "ratio"],
  [
    ["bagtower serve: idle RSS 2 s after the load", mib(weekIdle.rss), `floor: ${mib(floorIdle.rss)} (idle, empty)`, ratio(weekIdle.rss, floorIdle.rss)],
    ["bagtower serve: idle RSS 10 s after the load", mib(weekIdle10.rss), `floor: ${mib(floorIdle.rss)}`, ratio(weekIdle10.rss, floorIdle.rss)],
    [`bagtower serve: idle RSS 2 s after ${GRAPH_REPS} loads of the graphs`, mib(afterGraphs.rss), `floor: ${mib(floorIdle.rss)}`, ratio(afterGraphs.rss, floorIdle.rss)],
    [`bagtower serve: idle RSS 2 s after ${GRAPH_REPS} more`, mib(afterGraphs2.rss), `floor: ${mib(floorIdle.rss)}`, ratio(afterGraphs2.rss, floorIdle.rss)],
    ["bagtower serve: idle RSS 2 s after a restart on the week's database", mib(restartIdle.rss), `floor: ${mib(floorIdle.rss)}`, ratio(restartIdle.rss, floorIdle.rss)],
    ["bagtower serve: peak RSS (VmHWM) by the end of the graphs", mib(afterGraphs2.hwm), "—", "—"],
  ],
)}

Live pushes, each phase a fresh process after a warm-up of ${int(LIVE_WARMUP)} (one push from each of the week's devices): into a fresh database ${statusText(liveFresh)} (${cpuText(liveFresh)}); into the week's ${statusText(liveClosed)} (${cpuText(liveClosed)}); at ${int(liveHalfRate)}/s for ${SETTLE_S + PHASE_S} s ${statusText(liveOpenRun)}, ${liveOpenRun.lateStarts} sent > 1 ms after their instant (${cpuText(liveOpenRun)}); at ${int(liveRate)}/s ${statusText(liveOpenFreshHalfRun)}, ${liveOpenFreshHalfRun.lateStarts} late (${cpuText(liveOpenFreshHalfRun)}).
The latency loops' p99 by second after the start: at ${int(liveHalfRate)}/s ${perSecondP99(liveOpenRun)}; at ${int(liveRate)}/s ${perSecondP99(liveOpenFreshHalfRun)} (ms).
The graphs returned ${int(graphPoints)} points (${int(graphBytes)} bytes of JSON) for ${graphDevice} with the dashboard's step, ${int(rawGraphPoints)} points (${int(rawGraphBytes)} bytes) without one.

### Details

${table(["system", `single (${PHASE_S} s)`, "half load", `batches of ${BATCH} (${PHASE_S} s)`, "RSS after; server disk writes per record over all phases"], detailRows)}

${refusals.join("\n")}
${serverErrors.length ? `\nServer log lines with errors or warnings (${serverErrors.length}, first 10):\n\n\`\`\`\n${serverErrors.slice(0, 10).join("\n")}\n\`\`\`` : "\nNo error or warning in the servers' logs."}
Stops of the week's serve: ${weekStops.join(", ")}.`;
console.log(body);
// A try-out's figures would overwrite the full run's: --quick only prints.
if (QUICK) log("--quick: bench/RESULTS.md left as it was");
else writeSection("serve", body);
// Every server this run started has been stopped above; whatever still holds the event loop (a
// load loop's drain timer, a child's stderr reader) must not keep the run alive after its report.
log(`done in ${fmt((performance.now() - runStarted) / 1000)} s${process.getActiveResourcesInfo().length ? ` (left open: ${[...new Set(process.getActiveResourcesInfo())].join(", ")})` : ""}`);
process.exit(0);
