#!/usr/bin/env bun
// Where `collect`'s time goes: a scratch copy of the source at each given git revision (default: the
// commit before issue 14's startup work, and HEAD) gets performance.now() and process.cpuUsage()
// marks at the phase boundaries, is compiled like the real executable, and runs interleaved with
// the bare Bun floor; the table gives each phase's median wall and CPU time (all threads) and its
// share of the wall time. The marks cost a few tenths of a millisecond; nothing of this is shipped.
// Usage: bun bench/startup.ts [runs] [rev ...]
import { $ } from "bun";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, machine, REPO, summarize, table, writeSection } from "./lib.ts";

const RUNS = Number(process.argv[2] ?? 30);
const revs = process.argv.length > 3 ? process.argv.slice(3) : ["8cb8d6e", "HEAD"];

const TRACE = `export const marks: [string, number, number][] = [];
export const mark = (name: string) => {
  const u = process.cpuUsage();
  marks.push([name, performance.now(), (u.user + u.system) / 1000]);
};
`;
/** [file, anchor, what replaces it]: the anchors exist in every revision measured here. */
const MARKS: [string, string, string][] = [
  ["src/cli.ts", 'import { runCli } from "./main.ts";', 'import { mark, marks } from "./trace.ts";\nmark("runtime start, to the first line of cli.ts");\nconst { runCli } = await import("./main.ts");\nmark("main chunk: citty, consola, argv, node:fs (before: also the Context, the config schema, valibot)");'],
  ["src/cli.ts", "process.exit(code);", 'mark("record validated (valibot), printed");\nrequire("node:fs").writeSync(2, "TRACE " + JSON.stringify(marks) + "\\n");\nprocess.exit(code);'],
  ["src/main.ts", "    const run = commandRunner(leaf.cmd);", '    (await import("./trace.ts")).mark("collect chunk: valibot, schemas, items registry; args parsed");\n    const run = commandRunner(leaf.cmd);'],
  ["src/commands/collect.ts", "    const config = loadConfig(ctx, overrides);", '    (await import("../trace.ts")).mark("Context: paths, logger");\n    const config = loadConfig(ctx, overrides);'],
  ["src/collect/run.ts", "  const builtins = builtinItems.filter", '  (await import("../trace.ts")).mark("config (defaults < file < env < flags, valibot), renderer");\n  const builtins = builtinItems.filter'],
  ["src/collect/run.ts", "  const byId = new Map<string, Item>();", '  (await import("../trace.ts")).mark("items read (CPU sample read and written, sockets, filesystems …)");\n  const byId = new Map<string, Item>();'],
  ["src/collect/run.ts", "  return validateRecord(record);", '  (await import("../trace.ts")).mark("identity: machine id, seq, device id, record id");\n  return validateRecord(record);'],
];

async function tracedBuild(rev: string): Promise<string> {
  const sha = (await $`git -C ${REPO} rev-parse --short ${rev}`.text()).trim();
  const dir = join(REPO, ".cache", `trace-${sha}`);
  const binary = join(dir, "dist/bagtower-linux-x64");
  if (existsSync(binary)) return binary;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await $`git -C ${REPO} archive ${sha} | tar -x -C ${dir}`;
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "src/trace.ts"), TRACE);
  for (const [file, anchor, replacement] of MARKS) {
    const path = join(dir, file);
    const text = readFileSync(path, "utf8");
    if (!text.includes(anchor)) throw new Error(`${rev}: ${file} has no "${anchor}"`);
    writeFileSync(path, text.replace(anchor, replacement));
  }
  await $`${process.execPath} ${join(dir, "scripts/build.ts")} linux-x64`.quiet();
  return binary;
}

const binaries = await Promise.all(revs.map(tracedBuild));
const hello = join(REPO, ".cache/bench/hello");
await $`${process.execPath} build ${join(REPO, "bench/hello.ts")} --compile --minify --bytecode --compile-jit-policy=10 --format=esm --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile ${hello}`.quiet();

const homes = binaries.map(() => mkdtempSync(join(tmpdir(), "bagtower-startup-")));
for (const [i, binary] of binaries.entries()) await $`${binary} collect`.env({ PATH: process.env.PATH, BAGTOWER_HOME: homes[i] }).quiet();
await Bun.sleep(1100);
/** Revisions before the ring keep one sample, overwritten by every run: re-dated, none waits. */
const redate = (home: string) => {
  const path = join(home, "state/cpu-sample.json");
  const stored = JSON.parse(readFileSync(path, "utf8"));
  if (!("samples" in stored)) writeFileSync(path, JSON.stringify({ ...stored, ms: Date.now() - 600_000 }));
};

type Phase = { wall: number[]; cpu: number[] };
const phases = binaries.map(() => new Map<string, Phase>());
const floor: number[] = [];
const add = (map: Map<string, Phase>, name: string, wall: number, cpu: number) => {
  const phase = map.get(name) ?? { wall: [], cpu: [] };
  phase.wall.push(wall);
  phase.cpu.push(cpu);
  map.set(name, phase);
};
for (let round = 0; round < RUNS + 2; round++) {
  for (const [i, binary] of binaries.entries()) {
    redate(homes[i]!);
    const started = performance.now();
    const proc = Bun.spawn([binary, "collect"], { env: { PATH: process.env.PATH, BAGTOWER_HOME: homes[i] }, stdout: "ignore", stderr: "pipe" });
    const stderr = await new Response(proc.stderr).text();
    await proc.exited;
    const wall = performance.now() - started;
    const usage = proc.resourceUsage()!;
    const cpu = Number(usage.cpuTime.user + usage.cpuTime.system) / 1000;
    if (round < 2) continue;
    const marks = JSON.parse(stderr.split("\n").find((l) => l.startsWith("TRACE "))!.slice(6)) as [string, number, number][];
    let lastWall = 0;
    let lastCpu = 0;
    for (const [name, at, cpuAt] of marks) {
      add(phases[i]!, name, at - lastWall, cpuAt - lastCpu);
      lastWall = at;
      lastCpu = cpuAt;
    }
    add(phases[i]!, "process exit (the floor has one too)", wall - lastWall, cpu - lastCpu);
    add(phases[i]!, "total", wall, cpu);
  }
  const started = performance.now();
  await Bun.spawn([hello], { stdout: "ignore" }).exited;
  if (round >= 2) floor.push(performance.now() - started);
}
for (const home of homes) rmSync(home, { recursive: true, force: true });

const floorMs = summarize(floor).median;
const names = [...new Set(phases.flatMap((map) => [...map.keys()]))];
const header = ["phase", ...revs.flatMap((rev) => [`${rev} wall ms`, "CPU ms", "share"])];
const rows = names.map((name) => [
  name,
  ...phases.flatMap((map) => {
    const phase = map.get(name);
    if (!phase) return ["—", "—", "—"];
    const wall = summarize(phase.wall).median;
    return [fmt(wall), fmt(summarize(phase.cpu).median), `${fmt((wall / summarize(map.get("total")!.wall).median) * 100, 0)} %`];
  }),
]);
const body = `Run ${new Date().toISOString()} on ${machine()}; ${RUNS} interleaved runs of each, load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} at the end (above ~1, other work shares these cores).
Command: \`bun bench/startup.ts ${process.argv.slice(2).join(" ") || RUNS}\`. Medians per phase (they need not add up to the median total); CPU is user + system of all threads.
The bare Bun floor (bench/hello.ts, compiled the same way) took ${fmt(floorMs)} ms in the same rounds: its own start and exit are inside the first and last rows.

${table(header, rows)}`;
console.log(body);
writeSection("collect startup breakdown", body);
