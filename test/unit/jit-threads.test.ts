// The JIT's compiler threads below the main thread (src/jit-threads.ts), in a real Bun process:
// after lower(), every JITWorker has nice 19, every other thread (the main one, the collector's
// helpers, the I/O pool) keeps its priority, and a second call finds nothing new.
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { compilerThreads, COMPILER_NICE } from "../../src/jit-threads.ts";
import { tempDir } from "../helpers/context.ts";

const tmp = tempDir("bagtower-jit-threads-");
afterAll(() => tmp.cleanup());

const SCRIPT = `
import { readdirSync, readFileSync, fsync, openSync } from "node:fs";
import { compilerThreads } from ${JSON.stringify(join(import.meta.dir, "../../src/jit-threads.ts"))};
// Work enough to start the JIT's compilers, the collector's helpers and the I/O pool.
let x = 0;
for (let i = 0; i < 3e7; i++) x = (x + i * 7) % 1000003;
const keep = [];
for (let i = 0; i < 2e5; i++) keep.push({ i, s: String(i) });
Bun.gc(true);
await new Promise((resolve) => fsync(openSync(process.argv[2], "w"), resolve));
const compilers = compilerThreads();
const first = compilers.lower();
const second = compilers.lower();
const threads = readdirSync("/proc/self/task").map((tid) => {
  const stat = readFileSync("/proc/self/task/" + tid + "/stat", "utf8");
  return { tid: Number(tid), name: readFileSync("/proc/self/task/" + tid + "/comm", "utf8").trim(), nice: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]) };
});
console.log(JSON.stringify({ first, second, main: process.pid, threads, x, kept: keep.length }));
`;

test("JITWorker threads get nice 19; the main thread, the collector's helpers and Bun's I/O pool keep their priority", async () => {
  const file = join(tmp.dir, "script.ts");
  await Bun.write(file, SCRIPT);
  const proc = Bun.spawn([process.execPath, file, join(tmp.dir, "synced")], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ code, err }).toEqual({ code: 0, err: "" });
  const result = JSON.parse(out) as { first: number; second: number; main: number; threads: { tid: number; name: string; nice: number }[] };
  const compilers = result.threads.filter((t) => t.name === "JITWorker");
  expect(compilers.length).toBeGreaterThan(0);
  expect(result.first).toBe(compilers.length);
  expect(result.second).toBe(0);
  for (const t of compilers) expect(t.nice).toBe(COMPILER_NICE);
  const inherited = result.threads.find((t) => t.tid === result.main)!.nice;
  expect(inherited).toBeLessThan(COMPILER_NICE);
  const others = result.threads.filter((t) => t.name !== "JITWorker");
  for (const t of others) expect({ name: t.name, nice: t.nice }).toEqual({ name: t.name, nice: inherited });
  expect(others.some((t) => t.name.startsWith("Bun Pool"))).toBe(true);
});

test("without /proc's task list (another system) nothing is lowered and nothing fails", () => {
  expect(compilerThreads("/nonexistent/task").lower()).toBe(0);
});
