#!/usr/bin/env bun
// Spool enqueue (temp file, fsync, rename, fsync the directory) and the flush of 10,000 spooled
// records to a local receiver. `serve` does not exist yet, so the receiver is a bare Bun.serve
// that parses each JSON body and answers like serve will ({periodSeconds, batchMax: 500}).
// Usage: bun bench/spool.ts [records]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../src/config/load.ts";
import { createContext } from "../src/context.ts";
import { enqueue } from "../src/deliver/enqueue.ts";
import { flushAll } from "../src/deliver/push.ts";
import { createLogger } from "../src/log.ts";
import type { BagtowerRecord } from "../src/record/schema.ts";
import { fmt, machine, summarize, table, writeSection } from "./lib.ts";

const RECORDS = Number(process.argv[2] ?? 10_000);
let received = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const json = await request.json();
    received += Array.isArray(json) ? json.length : 1;
    return Response.json({ status: "ok", periodSeconds: 600, batchMax: 500 });
  },
});

const home = mkdtempSync(join(tmpdir(), "bagtower-bench-spool-"));
const ctx = createContext({ home }, { log: createLogger(1) });
const config = resolveConfig(
  { sinks: [{ name: "default", format: "bagtower", url: `http://127.0.0.1:${server.port}` }], spool: { maxSizeKb: 1 << 20 }, rateLimit: { enabled: false } },
  "bench",
  [],
);
const record = (seq: number): BagtowerRecord => ({
  unixTimestamp: 1795400000 + seq,
  UTCTimestamp: new Date((1795400000 + seq) * 1000).toISOString(),
  data: [
    { id: "deviceStatus", type: "string", val: "UP" },
    { id: "cpu", type: "percent", val: 12.5 },
    { id: "cpu_per_cpu", type: "percent", val: [10.1, 14.9, 3.2, 7.7] },
    { id: "memory", type: "percent", val: 43.2 },
    { id: "sockets_info", type: "count", val: { nb_established: 4, nb_sockets_closing: 0, nb_sockets_close: 2, nb_sockets_listen: 6 } },
  ],
  meta: { recordId: `bench-record-${seq}`, machineId: "0123456789abcdef0123456789abcdef", hostname: "bench", bootId: "b", seq, agent: "bagtower/bench", tags: {}, errors: [] },
});

const sink = config.sinks[0]!;
const enqueueMs: number[] = [];
for (let seq = 1; seq <= RECORDS; seq++) {
  const started = performance.now();
  enqueue(ctx, config, sink, record(seq));
  enqueueMs.push(performance.now() - started);
}
const started = performance.now();
const flushed = await flushAll(ctx, config, Number.POSITIVE_INFINITY);
const flushMs = performance.now() - started;
server.stop(true);
rmSync(home, { recursive: true, force: true });
if (received !== RECORDS || flushed.results?.[0]?.remaining !== 0) throw new Error(`flushed ${received} of ${RECORDS}`);

const e = summarize(enqueueMs);
const week = summarize(enqueueMs.slice(0, 1008));
const body = `Run ${new Date().toISOString()} on ${machine()}. Command: \`bun bench/spool.ts ${RECORDS}\`.

${table(
  ["operation", "median", "p10–p90", "target (SPEC §12)", ""],
  [
    ["enqueue into a queue of 0–1,008 (a week of 10-minute records)", `${fmt(week.median, 2)} ms`, `${fmt(week.p10, 2)}–${fmt(week.p90, 2)} ms`, "≤ 5 ms", week.median <= 5 ? "met" : "**missed**"],
    [`enqueue into a queue of 0–${RECORDS}`, `${fmt(e.median, 2)} ms`, `${fmt(e.p10, 2)}–${fmt(e.p90, 2)} ms`, "≤ 5 ms", e.median <= 5 ? "met" : "**missed**"],
    [`flush ${RECORDS} spooled records (batches of 500)`, `${fmt(flushMs / 1000, 2)} s`, "one run", "≤ 5 s", flushMs <= 5000 ? "met" : "**missed**"],
  ],
)}

The receiver is a bare \`Bun.serve\` that parses each JSON body (no \`serve\` yet): the flush figure is
bagtower's side of the work plus the floor of an HTTP exchange. Each enqueue includes two fsyncs
(the file and the directory) and one readdir of the queue for the size cap, so it grows slowly with
the queue's length.`;
console.log(body);
writeSection("spool", body);
