// The CPU sample ring through the compiled binary and its real state file: a status bar calling
// `collect --only cpu` every 0.5 s never waits for a sample once a second has passed, and a
// corrupt ring costs one fresh sample, not a failure. Waiting shows as the window: a run that
// sampled afresh reports cpuSampleMs (0.25 s), one that used the ring reports ≥ 1 s.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/context.ts";
import { buildBinary, runBinary } from "../helpers/binary.ts";

let cleanup = () => {};
let base = "";
beforeAll(async () => {
  await buildBinary();
  const tmp = tempDir("bagtower-cpu-ring-");
  base = tmp.dir;
  cleanup = tmp.cleanup;
}, 120_000);
afterAll(() => cleanup());

let _homes = 0;
function freshHome(): string {
  const home = join(base, `home-${++_homes}`);
  mkdirSync(home);
  return home;
}

async function collect(home: string, only: string) {
  const result = await runBinary(["collect", "--only", only], { env: { BAGTOWER_HOME: home } });
  expect(result.code).toBe(0);
  const record = JSON.parse(result.stdout);
  return { window: record.meta.cpuWindowS as number, value: record.data.find((i: { id: string }) => i.id === only)?.val };
}

const ringFile = (home: string) => join(home, "state", "cpu-sample.json");

describe("collect's CPU sample ring (compiled binary, real state files)", () => {
  test("runs started every 0.5 s, cpu and cpu_per_cpu alternating: from 1.5 s on none waits, each window ≥ 1 s", async () => {
    const home = freshHome();
    const start = performance.now();
    const runs: { window: number; value: unknown }[] = [];
    for (let i = 0; i < 9; i++) {
      // The cadence is the scenario (a status bar's timer), not a wait for some condition.
      const due = start + i * 500;
      if (performance.now() < due) await Bun.sleep(due - performance.now());
      runs.push(await collect(home, i % 2 === 0 ? "cpu" : "cpu_per_cpu"));
    }
    // The first run has no sample and the second's is 0.5 s old, too young for a 1 s window; the
    // third's is about 1 s old, on the edge. From the fourth (1.5 s) on there is always one.
    expect(runs[0]!.window).toBeLessThan(1);
    for (const [i, run] of runs.entries()) {
      if (i >= 3) expect({ run: i, waited: run.window < 1 }).toEqual({ run: i, waited: false });
      if (i % 2 === 0) expect(typeof run.value).toBe("number");
      else expect(Array.isArray(run.value) && run.value.length > 0).toBe(true);
    }
    const ring = JSON.parse(readFileSync(ringFile(home), "utf8"));
    expect(ring.samples.length).toBeGreaterThan(1);
    expect(ring.samples.length).toBeLessThanOrEqual(8);
  }, 30_000);

  test.each([
    ["not JSON", "{\"samples\": [", "cpu"],
    ["the wrong shape", JSON.stringify({ samples: [{ ms: "yesterday", cpus: 7 }] }), "cpu_per_cpu"],
    ["empty", "", "cpu"],
  ])("a ring that is %s falls back to a fresh sample and is rewritten", async (_what, junk, only) => {
    const home = freshHome();
    mkdirSync(join(home, "state"), { recursive: true });
    writeFileSync(ringFile(home), junk);
    const run = await collect(home, only);
    expect(run.window).toBeLessThan(1);
    expect(run.value).toBeDefined();
    const ring = JSON.parse(readFileSync(ringFile(home), "utf8"));
    expect(ring.samples).toHaveLength(2);
  });

  test("a ring sample 10 minutes old gives a 10-minute window at once (a cron push's case)", async () => {
    const home = freshHome();
    await collect(home, "cpu");
    const ring = JSON.parse(readFileSync(ringFile(home), "utf8"));
    const oldest = ring.samples[0];
    writeFileSync(ringFile(home), JSON.stringify({ samples: [{ ...oldest, ms: oldest.ms - 600_000 }] }));
    const run = await collect(home, "cpu_per_cpu");
    expect(run.window).toBeGreaterThanOrEqual(600);
    expect(run.window).toBeLessThan(700);
  });

  test("runs started at the same instant never tear the ring: it stays one valid ring of at most 8 samples", async () => {
    const home = freshHome();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => collect(home, i % 2 ? "cpu" : "cpu_per_cpu")));
    expect(results.every((r) => r.value !== undefined)).toBe(true);
    const ring = JSON.parse(readFileSync(ringFile(home), "utf8"));
    expect(ring.samples.length).toBeGreaterThanOrEqual(1);
    expect(ring.samples.length).toBeLessThanOrEqual(8);
    for (const sample of ring.samples) expect(typeof sample.cpus.cpu[0]).toBe("number");
  });
});
