#!/usr/bin/env bun
// `bagtower push` to a local `bagtower serve` (SPEC §12: ≤ 60 ms median), against `bagtower collect`
// in the same run (push = collect + spool + HTTP + commit). Usage: bun bench/push.ts [runs]
import { $ } from "bun";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, machine, REPO, summarize, table, timeCommand, writeSection } from "./lib.ts";

const RUNS = Number(process.argv[2] ?? 40);
const binary = join(REPO, "dist/bagtower-linux-x64");
await $`${process.execPath} ${join(REPO, "scripts/build.ts")} linux-x64`.quiet();
const root = mkdtempSync(join(tmpdir(), "bagtower-bench-push-"));
const serve = Bun.spawn([binary, "serve", "--port", "0", "--db", join(root, "serve.db"), "--api-key", "bench-ingest-key-0123456789", "--home", join(root, "serve-home")], { stderr: "pipe", stdout: "ignore" });
const reader = serve.stderr.getReader();
let log = "";
while (!/dashboard: http:\/\/127\.0\.0\.1:(\d+)\//.test(log)) log += new TextDecoder().decode((await reader.read()).value);
const port = Number(/dashboard: http:\/\/127\.0\.0\.1:(\d+)\//.exec(log)![1]);
const home = join(root, "agent");
const env = { PATH: process.env.PATH, BAGTOWER_HOME: home };
await timeCommand([binary, "push", "--server", `http://127.0.0.1:${port}`, "--api-key", "bench-ingest-key-0123456789", "--device-id", "bench", "--save"], env);
const samplePath = join(home, "state/cpu-sample.json");
const sample = JSON.parse(readFileSync(samplePath, "utf8"));
const redate = () => writeFileSync(samplePath, JSON.stringify({ ...sample, ms: Date.now() - 600_000 }));
const push: number[] = [];
const collect: number[] = [];
for (let i = 0; i < RUNS; i++) {
  redate();
  const p = await timeCommand([binary, "push", "--quiet"], env);
  if (p.code !== 0) throw new Error(`push exited ${p.code}`);
  push.push(p.ms);
  redate();
  collect.push((await timeCommand([binary, "collect"], env)).ms);
}
serve.kill("SIGTERM");
await serve.exited;
rmSync(root, { recursive: true, force: true });
const p = summarize(push);
const c = summarize(collect);
const body = `Run ${new Date().toISOString()} on ${machine()}; ${RUNS} runs each. Command: \`bun bench/push.ts ${RUNS}\`.

${table(
  ["command", "median ms", "p10–p90 ms", "vs collect", "target (SPEC §12)", ""],
  [
    ["bagtower push → local serve", fmt(p.median), `${fmt(p.p10)}–${fmt(p.p90)}`, `${fmt(p.median / c.median, 2)}×`, "≤ 60 ms", p.median <= 60 ? "met" : "**missed**"],
    ["bagtower collect", fmt(c.median), `${fmt(c.p10)}–${fmt(c.p90)}`, "1.00×", "", ""],
  ],
)}

push includes collect, two fsyncs of the spool file and directory, the HTTP round trip, serve's
SQLite commit (fsynced), and the deletion of the spool file.`;
console.log(body);
writeSection("push to a local serve", body);
