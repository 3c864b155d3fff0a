#!/usr/bin/env bun
// bagtower collect (with a stored CPU sample, as a cron run finds it) vs a psutil script reading the
// same items without waiting for a CPU sample vs a bare compiled Bun hello-world (the runtime's
// floor), interleaved in one run. Usage: bun bench/collect.ts [runs]
import { $ } from "bun";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, machine, peakRss, REPO, summarize, table, timeCommand, writeSection, type Run } from "./lib.ts";

const RUNS = Number(process.argv[2] ?? 40);
const binary = join(REPO, "dist/bagtower-linux-x64");
const cache = join(REPO, ".cache/bench");
mkdirSync(cache, { recursive: true });
const hello = join(cache, "hello");

await $`${process.execPath} ${join(REPO, "scripts/build.ts")} linux-x64`.quiet();
await $`${process.execPath} build ${join(REPO, "bench/hello.ts")} --compile --minify --bytecode --format=esm --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile ${hello}`.quiet();

const home = mkdtempSync(join(tmpdir(), "bagtower-bench-"));
const env = { PATH: process.env.PATH, BAGTOWER_HOME: home };
// One run stores a CPU sample; before each timed run it is re-dated to 10 minutes ago, so every run
// takes the no-wait path a cron push takes (a sample between 1 s and 1 h old).
await timeCommand([binary, "collect"], env);
const samplePath = join(home, "state/cpu-sample.json");
const sample = JSON.parse(readFileSync(samplePath, "utf8"));
const redate = () => writeFileSync(samplePath, JSON.stringify({ ...sample, ms: Date.now() - 600_000 }));

const commands: Record<string, { cmd: string[]; before?: () => void }> = {
  "bagtower collect": { cmd: [binary, "collect"], before: redate },
  "psutil script": { cmd: ["/usr/bin/python3", join(REPO, "bench/psutil_collect.py")] },
  "bare Bun (floor)": { cmd: [hello] },
};
const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));

for (let i = 0; i < RUNS + 3; i++) {
  for (const [name, { cmd, before }] of Object.entries(commands)) {
    before?.();
    const run = await timeCommand(cmd, env);
    if (run.code !== 0) throw new Error(`${name} exited ${run.code}`);
    if (i >= 3) runs[name]!.push(run); // the first rounds warm the page cache
  }
}
const windowS = JSON.parse(runs["bagtower collect"]![0]!.stdout).meta.cpuWindowS;
if (!(windowS >= 1)) throw new Error(`bagtower did not use the stored CPU sample (window ${windowS} s)`);

// Peak RSS in separate runs under GNU time, so the wrapper does not add to the timings above.
const rssRuns: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (let i = 0; i < 5; i++) {
  for (const [name, { cmd, before }] of Object.entries(commands)) {
    before?.();
    rssRuns[name]!.push((await peakRss(cmd, env)) / 2 ** 20);
  }
}
rmSync(home, { recursive: true, force: true });

const time = Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, summarize(r.map((x) => x.ms))]));
const rss = Object.fromEntries(Object.entries(rssRuns).map(([k, r]) => [k, summarize(r)]));
const ours = time["bagtower collect"]!.median;
const rows = Object.keys(commands).map((name) => [
  name,
  fmt(time[name]!.median),
  `${fmt(time[name]!.p10)}–${fmt(time[name]!.p90)}`,
  fmt(rss[name]!.max),
  name === "bagtower collect" ? "1.00×" : `${fmt(time[name]!.median / ours, 2)}×`,
]);
const psutilRatio = time["psutil script"]!.median / ours;
const floorRatio = ours / time["bare Bun (floor)"]!.median;
const peak = rss["bagtower collect"]!.max;
const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
const body = `Run ${new Date().toISOString()} on ${machine()}; ${RUNS} interleaved runs each (after 3 warm-up rounds).
Command: \`bun bench/collect.ts ${RUNS}\`.

${table(["command", "median ms", "p10–p90 ms", "peak RSS MiB", "median vs bagtower"], rows)}

| target (SPEC §12) | measured | |
| --- | --- | --- |
| median ≤ 25 ms | ${fmt(ours)} ms | ${verdict(ours <= 25)} |
| peak RSS ≤ 40 MB | ${fmt(peak)} MiB | ${verdict(peak * 1.048576 <= 40)} |
| ≥ 4× faster than psutil | ${fmt(psutilRatio, 2)}× | ${verdict(psutilRatio >= 4)} |
| ≤ 2.5× the bare Bun floor | ${fmt(floorRatio, 2)}× | ${verdict(floorRatio <= 2.5)} |

bagtower used its stored CPU sample (window ${windowS} s). The psutil script is \`bench/psutil_collect.py\` on
Debian's \`/usr/bin/python3\` with python3-psutil; it does not wait for a CPU sample either.`;
console.log(body);
writeSection("collect", body);
