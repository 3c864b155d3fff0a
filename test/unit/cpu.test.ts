import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ItemContext } from "../../src/collect/item.ts";
import { CPU_RING_SIZE, CPU_SAMPLE_STATE, cpuPercent, isCpuRing, cpuUsage, measureCpu, nextCpuRing, pickBaseline, ringSamples, type CpuSample } from "../../src/collect/items/cpu.ts";
import { createProbe } from "../../src/collect/probe.ts";
import { readState, writeState } from "../../src/state.ts";
import { manualClock, tempDir } from "../helpers/context.ts";

describe("cpuPercent", () => {
  test("busy = total − idle − iowait over the window", () => {
    // Δ user 30, system 10, idle 50, iowait 10 → busy 40 of 100
    expect(cpuPercent([100, 0, 100, 1000, 100, 0, 0, 0], [130, 0, 110, 1050, 110, 0, 0, 0])).toBe(40);
  });
  test("no progress reads 0, not NaN", () => expect(cpuPercent([1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1])).toBe(0));
  test("counters that went backwards never give a negative or >100 value", () => {
    const value = cpuPercent([500, 0, 500, 500, 0, 0, 0, 0], [10, 0, 600, 400, 0, 0, 0, 0]);
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(100);
    expect(value).toBe(100); // only system moved forward
  });
  test("all counters reset (CPU offlined and back) reads 0", () => expect(cpuPercent([500, 5, 500, 500, 5, 5, 5, 5], [1, 0, 1, 1, 0, 0, 0, 0])).toBe(0));
});

describe("cpuUsage", () => {
  const sample = (ms: number, cpus: Record<string, number[]>): CpuSample => ({ ms, bootId: "b", cpus });
  test("per-CPU values in CPU order (cpu2 before cpu10), window in seconds", () => {
    const before = sample(0, { cpu: [0, 0, 0, 0, 0, 0, 0, 0], cpu10: [0, 0, 0, 0, 0, 0, 0, 0], cpu2: [0, 0, 0, 0, 0, 0, 0, 0] });
    const after = sample(600_000, { cpu: [50, 0, 0, 150, 0, 0, 0, 0], cpu10: [50, 0, 0, 50, 0, 0, 0, 0], cpu2: [0, 0, 0, 100, 0, 0, 0, 0] });
    expect(cpuUsage(before, after)).toEqual({ total: 25, perCpu: [0, 50], windowS: 600 });
  });
  test("a CPU hotplugged since the earlier sample reads 0 rather than its since-boot average", () => {
    const before = sample(0, { cpu: [0, 0, 0, 10, 0, 0, 0, 0], cpu0: [0, 0, 0, 10, 0, 0, 0, 0] });
    const after = sample(1000, { cpu: [90, 0, 0, 20, 0, 0, 0, 0], cpu0: [0, 0, 0, 20, 0, 0, 0, 0], cpu1: [90, 0, 0, 0, 0, 0, 0, 0] });
    expect(cpuUsage(before, after).perCpu).toEqual([0, 0]);
  });
});

describe("measureCpu: stored-sample window and sampling fallback", () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  const statText = (cpus: Record<string, number[]>) =>
    `${Object.entries(cpus)
      .map(([name, t]) => `${name} ${t.join(" ")} 0 0`)
      .join("\n")}\nbtime 1795000000\n`;

  function setup(initial: Record<string, number[]>) {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const root = join(tmp.dir, "root");
    const state = join(tmp.dir, "state");
    mkdirSync(join(root, "proc/sys/kernel/random"), { recursive: true });
    writeFileSync(join(root, "proc/sys/kernel/random/boot_id"), "boot-1\n");
    const writeStat = (cpus: Record<string, number[]>) => writeFileSync(join(root, "proc/stat"), statText(cpus));
    writeStat(initial);
    const clock = manualClock(1_795_000_000_000);
    let slept = 0;
    let onSleep: () => void = () => {};
    const ic = (): ItemContext => ({
      probe: createProbe(root, async () => ({ bsize: 1, blocks: 1, bfree: 1, bavail: 1 })),
      settings: { cpuSampleMs: 250, timeoutMs: 1000, rootfs: root },
      now: clock.now,
      sleep: async (ms) => {
        slept += ms;
        clock.advance(ms);
        onSleep();
      },
      machineArch: "x86_64",
      readState: (name, schema) => readState(state, name, schema),
      writeState: (name, value) => writeState(state, name, value),
      warn: () => {},
      meta: {},
    });
    return { ic, clock, writeStat, state, slept: () => slept, setOnSleep: (f: () => void) => (onSleep = f) };
  }

  const idle = (n: number) => [0, 0, 0, n, 0, 0, 0, 0];
  const busy = (b: number, i: number) => [b, 0, 0, i, 0, 0, 0, 0];

  test("no stored sample: two samples cpuSampleMs apart, then both are stored in the ring", async () => {
    const s = setup({ cpu: idle(100), cpu0: idle(100) });
    s.setOnSleep(() => s.writeStat({ cpu: busy(30, 130), cpu0: busy(30, 130) }));
    const ic = s.ic();
    const usage = await measureCpu(ic);
    expect(s.slept()).toBe(250);
    expect(usage).toEqual({ total: 50, perCpu: [50], windowS: 0.25 });
    expect(ic.meta.cpuWindowS).toBe(0.25);
    const ring = ringSamples(readState(s.state, CPU_SAMPLE_STATE, isCpuRing));
    expect(ring.map((x) => x.cpus.cpu)).toEqual([idle(100), busy(30, 130)]);
  });

  test("a stored sample 10 minutes old: the average over those 10 minutes, no waiting", async () => {
    const s = setup({ cpu: idle(100), cpu0: idle(100) });
    s.setOnSleep(() => s.writeStat({ cpu: busy(10, 100), cpu0: busy(10, 100) }));
    await measureCpu(s.ic()); // stores the first sample
    s.clock.advance(600_000);
    s.writeStat({ cpu: busy(40, 190), cpu0: busy(40, 190) });
    const before = s.slept();
    const usage = await measureCpu(s.ic());
    expect(s.slept()).toBe(before);
    expect(usage.total).toBe(25); // Δbusy 30 of Δtotal 120
    expect(usage.windowS).toBe(600);
  });

  test("a stored sample younger than 1 s, or older than 1 h, is not used", async () => {
    for (const age of [500, 3_700_000]) {
      const s = setup({ cpu: idle(100), cpu0: idle(100) });
      writeState(s.state, CPU_SAMPLE_STATE, { ms: s.clock.now() - age, bootId: "boot-1", cpus: { cpu: idle(1), cpu0: idle(1) } });
      await measureCpu(s.ic());
      expect(s.slept()).toBe(250);
      cleanup();
    }
  });

  test("a stored sample from another boot, or with counters ahead of now, is not used", async () => {
    for (const stored of [
      { bootId: "boot-0", cpus: { cpu: idle(1), cpu0: idle(1) } },
      { bootId: "boot-1", cpus: { cpu: idle(1_000_000), cpu0: idle(1_000_000) } },
    ]) {
      const s = setup({ cpu: idle(100), cpu0: idle(100) });
      writeState(s.state, CPU_SAMPLE_STATE, { ms: s.clock.now() - 60_000, ...stored });
      await measureCpu(s.ic());
      expect(s.slept()).toBe(250);
      cleanup();
    }
  });

  test("a CPU hotplugged since the stored sample: falls back to a fresh sample over the new set", async () => {
    const s = setup({ cpu: idle(100), cpu0: idle(50), cpu1: idle(50) });
    writeState(s.state, CPU_SAMPLE_STATE, { ms: s.clock.now() - 60_000, bootId: "boot-1", cpus: { cpu: idle(10), cpu0: idle(10) } });
    s.setOnSleep(() => s.writeStat({ cpu: busy(20, 120), cpu0: busy(20, 50), cpu1: idle(70) }));
    const usage = await measureCpu(s.ic());
    expect(s.slept()).toBe(250);
    expect(usage.perCpu).toEqual([100, 0]);
  });

  test("cpu and cpu_per_cpu share one measurement per run", async () => {
    const s = setup({ cpu: idle(100), cpu0: idle(100) });
    const ic = s.ic();
    await Promise.all([measureCpu(ic), measureCpu(ic)]);
    expect(s.slept()).toBe(250);
  });

  test("runs 0.5 s apart: after the first second every run uses a stored sample ≥ 1 s old and never waits", async () => {
    const s = setup({ cpu: idle(100), cpu0: idle(100) });
    let jiffies = 100;
    s.setOnSleep(() => s.writeStat({ cpu: idle((jiffies += 25)), cpu0: idle(jiffies) }));
    const windows: number[] = [];
    const slept: number[] = [];
    for (let run = 0; run < 40; run++) {
      const before = s.slept();
      const ic = s.ic();
      await measureCpu(ic);
      windows.push(ic.meta.cpuWindowS!);
      slept.push(s.slept() - before);
      s.clock.advance(500 - (s.slept() - before));
      s.writeStat({ cpu: idle((jiffies += 50)), cpu0: idle(jiffies) });
      expect(ringSamples(readState(s.state, CPU_SAMPLE_STATE, isCpuRing)).length).toBeLessThanOrEqual(CPU_RING_SIZE);
    }
    // Runs at 0 and 0.5 s find nothing 1 s old; from 1 s on, none waits and every window is 1–1.5 s.
    expect(slept.slice(0, 2)).toEqual([250, 250]);
    expect(slept.slice(2).every((ms) => ms === 0)).toBe(true);
    expect(windows.slice(2).every((w) => w >= 1 && w <= 1.5)).toBe(true);
  });

  test("a corrupt ring falls back to a fresh sample and is rewritten as a valid ring", async () => {
    for (const junk of ["{not json", JSON.stringify({ samples: [{ ms: "yesterday" }] }), "[]"]) {
      const s = setup({ cpu: idle(100), cpu0: idle(100) });
      mkdirSync(s.state, { recursive: true });
      writeFileSync(join(s.state, CPU_SAMPLE_STATE), junk);
      const ic = s.ic();
      await measureCpu(ic);
      expect(s.slept()).toBe(250);
      expect(ic.meta.cpuWindowS).toBe(0.25);
      expect(ringSamples(readState(s.state, CPU_SAMPLE_STATE, isCpuRing))).toHaveLength(2);
      cleanup();
    }
  });

  test("a file of one bare sample (before the ring) is read as a ring of one", async () => {
    const s = setup({ cpu: busy(50, 100), cpu0: busy(50, 100) });
    writeState(s.state, CPU_SAMPLE_STATE, { ms: s.clock.now() - 60_000, bootId: "boot-1", cpus: { cpu: idle(50), cpu0: idle(50) } });
    const ic = s.ic();
    expect((await measureCpu(ic)).total).toBe(50);
    expect(s.slept()).toBe(0);
    expect(ic.meta.cpuWindowS).toBe(60);
  });
});

describe("the CPU sample ring", () => {
  const at = (ms: number, bootId = "b"): CpuSample => ({ ms, bootId, cpus: { cpu: [ms, 0, 0, 0, 0, 0, 0, 0] } });
  test("the baseline is the youngest sample at least 1 s old", () => {
    const ring = [at(0), at(8_000), at(8_900), at(9_500)];
    expect(pickBaseline(ring, at(10_000))?.ms).toBe(8_900);
    expect(pickBaseline([at(9_500)], at(10_000))).toBeUndefined();
  });
  test("keeps the youngest mature sample and young ones one per 1/7 s, at most 8", () => {
    const young = Array.from({ length: 50 }, (_, i) => at(9_000 + i * 20));
    const ring = nextCpuRing([at(0), at(5_000), at(8_500), ...young], [], at(10_000));
    expect(ring.length).toBeLessThanOrEqual(CPU_RING_SIZE);
    expect(ring[0]!.ms).toBe(9_000);
    const gaps = ring.slice(2).map((s, i) => s.ms - ring[i + 1]!.ms);
    expect(gaps.every((g) => g >= 1000 / 7)).toBe(true);
  });
  test("drops samples of another boot, from the future, or over an hour old", () => {
    const ring = nextCpuRing([at(0), at(5_000_000, "old-boot"), at(5_000_500), at(9_000_000)], [], at(5_001_000));
    expect(ring.map((s) => s.ms)).toEqual([5_000_500]);
  });
});
