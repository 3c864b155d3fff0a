#!/usr/bin/env bun
// How long one `bagtower push` takes at worst when the network misbehaves (SPEC §12: a run is
// bounded, so cron runs never pile up). Push goes through the fault-injecting proxy of the tests
// (latency, resets, 5xx bursts, 429 with Retry-After, requests that hang, answers that never come)
// to a local `bagtower serve`. The bound: (retries + 1) × timeout, at most one in-run Retry-After
// wait, start-up and the lock, well under 10 s. Usage: bun bench/push-faults.ts [runs]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY, buildBinary } from "../test/helpers/binary.ts";
import { FIXTURES } from "../test/helpers/context.ts";
import { faultMix, startFaultServer } from "../test/helpers/fault-server.ts";
import { SERVE_KEY, startServeBinary } from "../test/helpers/serve-binary.ts";
import { fmt, machine, summarize, table, writeSection } from "./lib.ts";

const RUNS = Number(process.argv[2] ?? 60);
const BOUND_MS = 10_000;
const HTTP = { timeoutMs: 1000, retries: 1, compress: false };

await buildBinary();
const serve = await startServeBinary();
const proxy = startFaultServer();
// The mix of the torture test's proxy trial, from the same seed.
const mix = faultMix(serve.url);
proxy.decide(mix.decide);
const faults = mix.chosen;
const home = mkdtempSync(join(tmpdir(), "bagtower-bench-faults-"));
writeFileSync(join(home, "config.json"), JSON.stringify({ collect: { rootfs: join(FIXTURES, "pi4"), cpuSampleMs: 10 }, sinks: [{ name: "default", format: "bagtower", url: proxy.url, apiKey: SERVE_KEY }], http: HTTP }));
const env = { PATH: process.env.PATH, BAGTOWER_HOME: home };
const runs: number[] = [];
const codes: Record<string, number> = {};
try {
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const code = await Bun.spawn([BINARY, "push", "--quiet"], { env, stdout: "ignore", stderr: "ignore" }).exited;
    runs.push(performance.now() - started);
    codes[code] = (codes[code] ?? 0) + 1;
  }
} finally {
  proxy.stop();
  await serve.stop();
  rmSync(home, { recursive: true, force: true });
}
const s = summarize(runs);
const body = `Run ${new Date().toISOString()} on ${machine()}; ${RUNS} runs, http ${JSON.stringify(HTTP)}. Command: \`bun bench/push-faults.ts ${RUNS}\`.

${table(
  ["bagtower push through the fault proxy", "median ms", "p10–p90 ms", "longest ms", "bound", ""],
  [["one run", fmt(s.median), `${fmt(s.p10)}–${fmt(s.p90)}`, fmt(s.max), `< ${BOUND_MS / 1000} s`, s.max < BOUND_MS ? "met" : "**missed**"]],
)}

Requests the proxy saw: ${proxy.requests.length} (${Object.entries(faults).map(([k, n]) => `${k} ${n}`).join(", ")}); exit codes: ${Object.entries(codes).map(([k, n]) => `${k} × ${n}`).join(", ")}
(75: the record stays spooled for the next run). That nothing is lost or duplicated under the same
faults is tested in \`test/e2e/torture.test.ts\`; the time is measured here, since a test never
asserts a wall-clock time.`;
console.log(body);
writeSection("push through a faulty network", body);
