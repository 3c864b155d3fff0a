// The runtime's helper threads below the main thread (src/helper-threads.ts), in a real Bun
// process: after lower(), every JIT, collector, warm-up and scavenger thread has nice 19, the
// main thread and the I/O pool keep theirs, and a second call finds nothing new.
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../helpers/context.ts";

const tmp = tempDir("bagtower-helpers-");
afterAll(() => tmp.cleanup());

const SCRIPT = `
import { readdirSync, readFileSync, fsync, openSync } from "node:fs";
import { helperThreads } from ${JSON.stringify(join(import.meta.dir, "../../src/helper-threads.ts"))};
// Work enough to start the JIT's compilers, the collector's helpers and the I/O pool.
let x = 0;
for (let i = 0; i < 3e7; i++) x = (x + i * 7) % 1000003;
const keep = [];
for (let i = 0; i < 2e5; i++) keep.push({ i, s: String(i) });
Bun.gc(true);
await new Promise((resolve) => fsync(openSync(process.argv[2], "w"), resolve));
const helpers = helperThreads();
const first = helpers.lower();
const second = helpers.lower();
const threads = readdirSync("/proc/self/task").map((tid) => {
  const stat = readFileSync("/proc/self/task/" + tid + "/stat", "utf8");
  return { tid: Number(tid), name: readFileSync("/proc/self/task/" + tid + "/comm", "utf8").trim(), nice: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]) };
});
console.log(JSON.stringify({ first, second, main: process.pid, threads, x, kept: keep.length }));
`;

test("helpers get nice 19; the main thread and Bun's I/O pool keep their priority", async () => {
  const dir = tmp.dir;
  const file = join(dir, "script.ts");
  await Bun.write(file, SCRIPT);
  const proc = Bun.spawn([process.execPath, file, join(dir, "synced")], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ code, err }).toEqual({ code: 0, err: "" });
  const result = JSON.parse(out) as { first: number; second: number; main: number; threads: { tid: number; name: string; nice: number }[] };
  const helpers = result.threads.filter((t) => /^(JITWorker|HeapHelper|JSCWarmUp|mi-scavenger)/.test(t.name));
  expect(helpers.length).toBeGreaterThan(0);
  expect(result.first).toBe(helpers.length);
  expect(result.second).toBe(0);
  for (const t of helpers) expect({ name: t.name, nice: t.nice }).toEqual({ name: t.name, nice: 19 });
  const main = result.threads.find((t) => t.tid === result.main)!;
  const inherited = main.nice;
  expect(inherited).toBeLessThan(19);
  for (const t of result.threads.filter((t) => !helpers.includes(t))) expect({ name: t.name, nice: t.nice }).toEqual({ name: t.name, nice: inherited });
  expect(result.threads.some((t) => t.name.startsWith("Bun Pool"))).toBe(true);
});

test("without /proc's task list (another system) nothing is lowered and nothing fails", () => {
  const { helperThreads } = require("../../src/helper-threads.ts") as typeof import("../../src/helper-threads.ts");
  expect(helperThreads("/nonexistent/task").lower()).toBe(0);
});
