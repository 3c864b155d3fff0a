#!/usr/bin/env bun
// The cost of serve's bounds (issue 10 §4): single-record ingest into this tree's `bagtower serve`
// (per-request limits while parsing, future-timestamp check, cardinality caps, the validated body
// re-serialised) against the same push into the code before them (a base commit, built from
// `git archive` into a temp dir) and the floor (bench/serve-floor.ts), in interleaved rounds of one
// run. Then, at the device cap (10,000 devices), the time to answer /api/devices, the monitoring
// view and /metrics on both, and /healthz's latency while /metrics is being built.
// Usage: bun bench/serve-limits.ts [base commit (default d020395, main before issue 10's checks)] [seconds per round (4)] [rounds (3)]
import { $ } from "bun";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { BagtowerRecord } from "../src/record/schema.ts";
import { fmt, machine, REPO, summarize, table, timeCommand, writeSection } from "./lib.ts";
import { closedLoop, httpPost, type Reply } from "./serve-http.ts";

// The default base is main before issue 10 (auth, rights and bounds), the code these checks were added to.
const BEFORE_CHECKS = "d020395";
const BASE = process.argv[2] || BEFORE_CHECKS;
const ROUND_S = Number(process.argv[3] || 4);
const ROUNDS = Number(process.argv[4] || 3);
const CONNS = 64;
const DEVICES = 1000;
const CAP_DEVICES = 10_000;
const API_KEY = "bench-key-0123456789abcdef";

const work = mkdtempSync(join(tmpdir(), "bagtower-bench-limits-"));
const log = (line: string) => console.error(`[serve-limits] ${line}`);

// --- the two binaries --------------------------------------------------------------------------------
log(`building this tree and ${BASE.slice(0, 10)}`);
await $`${process.execPath} ${join(REPO, "scripts/build.ts")} linux-x64`.quiet();
const baseTree = join(work, "base");
mkdirSync(baseTree);
await $`git -C ${REPO} archive ${BASE} | tar -x -C ${baseTree}`.quiet();
symlinkSync(join(REPO, "node_modules"), join(baseTree, "node_modules"));
await $`${process.execPath} ${join(baseTree, "scripts/build.ts")} linux-x64`.cwd(baseTree).quiet();
const BINARIES = { limits: join(REPO, "dist/bagtower-linux-x64"), base: join(baseTree, "dist/bagtower-linux-x64") };

// Client on CPU 0, servers on CPU 1 (as bench/serve.ts), so neither starves the other.
const taskset = Bun.which("taskset");
const pinned = cpus().length >= 2 && taskset !== null;
if (pinned) await $`${taskset} -a -p -c 0 ${process.pid}`.quiet();
const onServerCpu = (cmd: string[]) => (pinned ? [taskset!, "-c", "1", ...cmd] : cmd);

// --- the records: the pi4 fixture's record, one device in DEVICES, unique timestamps in the past week --
const collected = await timeCommand([BINARIES.limits, "collect", "--root", join(REPO, "test/fixtures/proc/pi4")], { PATH: process.env.PATH, BAGTOWER_HOME: join(work, "collect-home") });
const template = JSON.parse(collected.stdout) as BagtowerRecord;
const DATA_JSON = JSON.stringify(template.data);
const { recordId: _r, machineId: _m, hostname: _h, seq: _s, ...metaRest } = template.meta;
const META_TAIL = JSON.stringify(metaRest).slice(1);
const TS_BASE = Math.floor(Date.now() / 1000) - 6 * 86400;
let serial = 0;
const RUN = Date.now().toString(36);
function recordBody(): string {
  const n = serial++;
  const d = n % DEVICES;
  const ts = TS_BASE + Math.floor(n / DEVICES);
  const name = `bench-${String(d).padStart(4, "0")}`;
  return `{"deviceId":"${name}","unixTimestamp":${ts},"UTCTimestamp":"${new Date(ts * 1000).toISOString()}","data":${DATA_JSON},"meta":{"recordId":"bl-${RUN}-${n}","machineId":"${(0xb7000000 + d).toString(16).padStart(32, "0")}","hostname":"${name}","seq":${n},${META_TAIL}}`;
}

// --- the processes --------------------------------------------------------------------------------------
async function spawnServer(cmd: string[]): Promise<{ port: number; pid: number; stop: () => Promise<void> }> {
  const proc = Bun.spawn(onServerCpu(cmd), { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH } });
  let text = "";
  const decoder = new TextDecoder();
  const reader = proc.stderr.getReader();
  const deadline = Date.now() + 20_000;
  let port = 0;
  while (!port) {
    if (Date.now() > deadline) throw new Error(`${cmd[0]} did not start: ${text}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`${cmd[0]} exited: ${text}`);
    text += decoder.decode(value, { stream: true });
    port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(text)?.[1] ?? 0);
  }
  void (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    port,
    pid: proc.pid,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

const startServe = (which: keyof typeof BINARIES) => {
  const dir = mkdtempSync(join(work, `${which}-`));
  return spawnServer([BINARIES[which], "serve", "--host", "127.0.0.1", "--port", "0", "--db", join(dir, "serve.db"), "--api-key", API_KEY, "--home", join(dir, "home"), "--rate-limit", "0"]);
};
const startFloor = () => spawnServer([process.execPath, join(REPO, "bench/serve-floor.ts")]);

const okReply = (floor: boolean) => (reply: Reply) => {
  if (floor) return reply.body === '{"status":"ok"}' ? undefined : reply.body.slice(0, 80);
  const body = JSON.parse(reply.body) as { accepted?: number };
  return body.accepted === 1 ? undefined : reply.body.slice(0, 120);
};

/** CPU seconds (user + system, all threads) of a process so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Single-record pushes/s on a fresh server after a warm-up of 2,000, and the server's CPU time per
 * push (µs): the machine is shared, and CPU per push moves less with a neighbour's load than the rate.
 */
async function singleRate(which: "floor" | keyof typeof BINARIES): Promise<{ rate: number; cpuUs: number }> {
  const server = which === "floor" ? await startFloor() : await startServe(which);
  const make = () => ({ bytes: httpPost(server.port, "/logs", recordBody(), { "Content-Type": "application/json", "x-api-key": API_KEY }), units: 1 });
  await closedLoop({ port: server.port, conns: 8, durationMs: 3000, maxRequests: 2000, make });
  const cpu0 = cpuSeconds(server.pid);
  const run = await closedLoop({ port: server.port, conns: CONNS, durationMs: ROUND_S * 1000, maxRequests: 1_000_000, make, check: okReply(which === "floor") });
  const cpuUs = ((cpuSeconds(server.pid) - cpu0) / run.ok) * 1e6;
  await server.stop();
  const bad = Object.entries(run.statuses).filter(([s]) => !s.startsWith("2"));
  if (bad.length) throw new Error(`${which}: ${JSON.stringify(bad)} ${JSON.stringify(run.samples)}`);
  return { rate: run.ok / (run.elapsedMs / 1000), cpuUs };
}

// --- single-record ingest, interleaved rounds ------------------------------------------------------------
const rates: Record<"floor" | "base" | "limits", number[]> = { floor: [], base: [], limits: [] };
const cpuPer: Record<"floor" | "base" | "limits", number[]> = { floor: [], base: [], limits: [] };
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order, so a drift of the machine over the run does not favour one side.
  const order = round % 2 === 0 ? (["floor", "base", "limits"] as const) : (["limits", "base", "floor"] as const);
  for (const which of order) {
    const { rate, cpuUs } = await singleRate(which);
    rates[which].push(rate);
    cpuPer[which].push(cpuUs);
    log(`round ${round + 1}: ${which} ${Math.round(rate)}/s, ${fmt(cpuUs, 0)} µs of server CPU a push`);
  }
}
const median = (xs: number[]) => summarize(xs).median;
const ratioPerRound = rates.limits.map((r, i) => r / rates.base[i]!);
const cpuRatioPerRound = cpuPer.base.map((c, i) => c / cpuPer.limits[i]!);

// --- at the device cap ------------------------------------------------------------------------------------
async function timed(port: number, path: string): Promise<{ ms: number; bytes: number; status: number }> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  const bytes = (await res.arrayBuffer()).byteLength;
  return { ms: performance.now() - started, bytes, status: res.status };
}

async function atCap(which: keyof typeof BINARIES) {
  const server = await startServe(which);
  const now = Math.floor(Date.now() / 1000);
  for (let start = 0; start < CAP_DEVICES; start += 500) {
    const batch = Array.from({ length: 500 }, (_, i) => `{"deviceId":"cap-${String(start + i).padStart(5, "0")}","unixTimestamp":${now},"data":${DATA_JSON}}`);
    const res = await fetch(`http://127.0.0.1:${server.port}/logs`, { method: "POST", body: `[${batch.join(",")}]`, headers: { "x-api-key": API_KEY } });
    if (res.status !== 200) throw new Error(`${which}: loading the fleet: ${res.status} ${await res.text()}`);
  }
  const out: Record<string, { ms: number; bytes: number; status: number }> = {};
  for (const path of ["/api/devices", "/api/monitoring/resources", "/metrics"]) {
    await timed(server.port, path);
    out[path] = await timed(server.port, path);
  }
  // /healthz sent while /metrics is being built.
  const metrics = timed(server.port, "/metrics");
  const health = await timed(server.port, "/healthz");
  const whole = await metrics;
  out["/healthz during /metrics"] = { ...health, bytes: whole.ms };
  await server.stop();
  return out;
}
log(`${CAP_DEVICES} devices: base`);
const capBase = await atCap("base");
log(`${CAP_DEVICES} devices: limits`);
const capLimits = await atCap("limits");
rmSync(work, { recursive: true, force: true });

// --- the report -------------------------------------------------------------------------------------------
const per = (xs: number[]) => xs.map((x) => Math.round(x)).join(", ");
const body = `
${machine()}; \`bun bench/serve-limits.ts ${process.argv.slice(2).join(" ")}\`: base ${BASE.slice(0, 10)} (before the bounds), ${ROUNDS} interleaved rounds of ${ROUND_S} s, ${CONNS} connections, one ${template.data.length}-item record a request; client on CPU 0, servers on CPU 1${pinned ? "" : " (not pinned: taskset missing)"}.

${table(
  ["single-record ingest", "median pushes/s", "rounds", "of the floor", "median server CPU µs a push", "rounds"],
  [
    ["floor (bare Bun.serve + JSON.parse)", String(Math.round(median(rates.floor))), per(rates.floor), "1.00", fmt(median(cpuPer.floor), 0), per(cpuPer.floor)],
    [`serve before the bounds (${BASE.slice(0, 10)})`, String(Math.round(median(rates.base))), per(rates.base), fmt(median(rates.base) / median(rates.floor), 2), fmt(median(cpuPer.base), 0), per(cpuPer.base)],
    ["serve with the bounds (this tree)", String(Math.round(median(rates.limits))), per(rates.limits), fmt(median(rates.limits) / median(rates.floor), 2), fmt(median(cpuPer.limits), 0), per(cpuPer.limits)],
  ],
)}

With the bounds / before, per round: rate ${ratioPerRound.map((r) => fmt(r, 3)).join(", ")} (median ${fmt(median(ratioPerRound), 3)}); CPU a push, before / with ${cpuRatioPerRound.map((r) => fmt(r, 3)).join(", ")} (median ${fmt(median(cpuRatioPerRound), 3)}). The issue allows ≥ 0.95.

At the device cap (${CAP_DEVICES} devices of ${template.data.length} items, loaded in requests of 500):

${table(
  ["request", "before: ms", "before: bytes", "with the bounds: ms", "with the bounds: bytes"],
  ["/api/devices", "/api/monitoring/resources", "/metrics"].map((p) => [p, fmt(capBase[p]!.ms, 0), String(capBase[p]!.bytes), fmt(capLimits[p]!.ms, 0), String(capLimits[p]!.bytes)]),
)}

/healthz sent right after a /metrics request: answered in ${fmt(capBase["/healthz during /metrics"]!.ms, 0)} ms before the bounds (the /metrics took ${fmt(capBase["/healthz during /metrics"]!.bytes, 0)} ms), ${fmt(capLimits["/healthz during /metrics"]!.ms, 0)} ms with them (/metrics: ${fmt(capLimits["/healthz during /metrics"]!.bytes, 0)} ms). The fleet API answers a page (default 500 devices) where it answered the whole fleet.
`;
console.log(body);
writeSection("serve: the cost of the bounds", body);
