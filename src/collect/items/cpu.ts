// /proc/stat `cpu` and `cpuN` lines: busy = total − idle − iowait, total excludes guest and
// guest_nice (already counted in user and nice); percent = Δbusy / Δtotal × 100 (psutil's formula).
import { defineItem, type ItemContext } from "../item.ts";
import { clampPercent } from "../probe.ts";
import { STATE_FILES } from "../../paths.ts";
import { isJsonObject } from "../../state.ts";

/** Jiffies per CPU line: user nice system idle iowait irq softirq steal (guest columns dropped). */
export type CpuTimes = number[];

export interface CpuSample {
  /** When the sample was taken (ms since the epoch). */
  ms: number;
  bootId: string;
  /** `cpu` (aggregate) and `cpuN` lines by name. */
  cpus: Record<string, CpuTimes>;
}

function _isTimes(json: unknown): json is CpuTimes {
  if (!Array.isArray(json)) return false;
  for (const n of json) if (typeof n !== "number") return false;
  return true;
}

export function isCpuSample(json: unknown): json is CpuSample {
  if (!isJsonObject(json) || typeof json.ms !== "number" || typeof json.bootId !== "string" || !isJsonObject(json.cpus)) return false;
  for (const name in json.cpus) if (!_isTimes(json.cpus[name])) return false;
  return true;
}

export interface CpuUsage {
  total: number;
  perCpu: number[];
  windowS: number;
}

const _IDLE = 3;
const _IOWAIT = 4;
/** user nice system idle iowait irq softirq steal: the columns that make up total time. */
const _COUNTED = 8;

/** `cpu…` lines of /proc/stat → times by name. Older kernels have fewer columns: missing ones are 0. */
export function parseProcStatCpus(text: string): Record<string, CpuTimes> {
  const cpus: Record<string, CpuTimes> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("cpu")) continue;
    const [name, ...fields] = line.trim().split(/\s+/);
    if (!name || !/^cpu\d*$/.test(name) || fields.length < 4) continue;
    const times = fields.slice(0, _COUNTED).map(Number);
    if (times.some((t) => !Number.isFinite(t) || t < 0)) continue;
    while (times.length < _COUNTED) times.push(0);
    cpus[name] = times;
  }
  return cpus;
}

/**
 * Busy percent between two samples of one CPU. Counters that went backwards (a CPU that was
 * offlined and back, a driver reset) count as no progress for that column, so the result is
 * always within 0…100; no progress at all reads as 0.
 */
export function cpuPercent(before: CpuTimes, after: CpuTimes): number {
  let total = 0;
  let idle = 0;
  for (let i = 0; i < _COUNTED; i++) {
    const delta = Math.max(0, (after[i] ?? 0) - (before[i] ?? 0));
    total += delta;
    if (i === _IDLE || i === _IOWAIT) idle += delta;
  }
  return total === 0 ? 0 : clampPercent(((total - idle) / total) * 100);
}

/** CPU names in CPU order: cpu2 before cpu10. */
function _perCpuNames(cpus: Record<string, CpuTimes>): string[] {
  return Object.keys(cpus)
    .filter((name) => name !== "cpu")
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
}

/** Percent per window; CPUs missing from the earlier sample (just hotplugged) are measured from 0 progress. */
export function cpuUsage(before: CpuSample, after: CpuSample): CpuUsage {
  const zero: CpuTimes = [];
  return {
    total: cpuPercent(before.cpus.cpu ?? zero, after.cpus.cpu ?? zero),
    perCpu: _perCpuNames(after.cpus).map((name) => cpuPercent(before.cpus[name] ?? after.cpus[name]!, after.cpus[name]!)),
    windowS: Math.round((after.ms - before.ms) / 10) / 100,
  };
}

function _sameCpuSet(a: CpuSample, b: CpuSample): boolean {
  const names = Object.keys(a.cpus);
  return names.length === Object.keys(b.cpus).length && names.every((name) => name in b.cpus);
}

function _counterSum(times: CpuTimes | undefined): number {
  return times ? times.reduce((sum, t) => sum + t, 0) : 0;
}

/** A baseline must be at least this old: a shorter window is mostly the run's own start-up. */
export const MIN_WINDOW_MS = 1000;
/** Older baselines are dropped: an average over more than an hour says little about now. */
export const MAX_BASELINE_AGE_MS = 3600_000;
/** Samples kept in the ring: one baseline plus young ones spaced so that one matures every ~1/7 s. */
export const CPU_RING_SIZE = 8;

/**
 * A stored sample is used when it is 1 s to 1 h old, from this boot, over the same set of CPUs,
 * and the aggregate counters grew: then cpu is the average since that run (a cron push every 10
 * minutes reports those 10 minutes, not a one-second glimpse).
 */
export function usableStoredSample(stored: CpuSample | undefined, current: CpuSample): stored is CpuSample {
  if (!stored || typeof stored !== "object" || typeof stored.ms !== "number" || !stored.cpus) return false;
  const age = current.ms - stored.ms;
  return (
    age >= MIN_WINDOW_MS &&
    age <= MAX_BASELINE_AGE_MS &&
    stored.bootId === current.bootId &&
    _sameCpuSet(stored, current) &&
    _counterSum(current.cpus.cpu) > _counterSum(stored.cpus.cpu)
  );
}

/** The youngest usable sample of the ring: the shortest window of at least 1 s. */
export function pickBaseline(ring: readonly CpuSample[], current: CpuSample): CpuSample | undefined {
  let best: CpuSample | undefined;
  for (const sample of ring) if (usableStoredSample(sample, current) && (!best || sample.ms > best.ms)) best = sample;
  return best;
}

/**
 * The ring to store after a run at `current`: the youngest sample already 1 s old (the next run's
 * baseline until a younger one matures) and the younger ones, thinned to one per 1/7 s so the ring
 * stays at 8 samples however often `collect` runs, while one of them matures every ~143 ms.
 * Samples of another boot, from the future (the clock was set back) or over an hour old go.
 */
export function nextCpuRing(ring: readonly CpuSample[], taken: readonly CpuSample[], current: CpuSample): CpuSample[] {
  const candidates = [...ring, ...taken]
    .filter((s) => s.bootId === current.bootId && s.ms <= current.ms && current.ms - s.ms <= MAX_BASELINE_AGE_MS)
    .sort((a, b) => a.ms - b.ms);
  const mature = candidates.filter((s) => current.ms - s.ms >= MIN_WINDOW_MS).at(-1);
  const kept: CpuSample[] = mature ? [mature] : [];
  const gap = MIN_WINDOW_MS / (CPU_RING_SIZE - 1);
  let last = Number.NEGATIVE_INFINITY;
  for (const sample of candidates) {
    if (current.ms - sample.ms >= MIN_WINDOW_MS || sample.ms - last < gap) continue;
    kept.push(sample);
    last = sample.ms;
  }
  return kept.slice(0, CPU_RING_SIZE);
}

/**
 * The ring as stored in state/cpu-sample.json. A file of one bare sample (what versions before the
 * ring wrote) reads as a ring of one, so the first run after an upgrade does not wait.
 */
export type CpuRing = { samples: CpuSample[] } | CpuSample;

export function isCpuRing(json: unknown): json is CpuRing {
  if (isJsonObject(json) && Array.isArray(json.samples)) return json.samples.every(isCpuSample);
  return isCpuSample(json);
}

export function ringSamples(stored: CpuRing | undefined): CpuSample[] {
  if (!stored) return [];
  return "samples" in stored ? stored.samples : [stored];
}

export const CPU_SAMPLE_STATE = STATE_FILES.cpuSample;

function _takeSample(ic: ItemContext, bootId: string, fresh: boolean): CpuSample {
  return { ms: ic.now(), bootId, cpus: parseProcStatCpus(ic.probe.text("/proc/stat", fresh)) };
}

/**
 * Measures once per run, for both cpu and cpu_per_cpu: against the youngest stored sample at least
 * 1 s old, else (first run, a burst's first second, a missing or corrupt ring) over a fresh window
 * of cpuSampleMs. Either way this run's samples join the ring for the runs after it; the file is
 * replaced atomically, so concurrent runs may lose each other's sample but never tear the ring.
 */
export function measureCpu(ic: ItemContext): Promise<CpuUsage> {
  return ic.probe.once("cpu", async () => {
    const bootId = ic.probe.maybeText("/proc/sys/kernel/random/boot_id")?.trim() ?? "";
    let current = _takeSample(ic, bootId, false);
    const ring = ringSamples(ic.readState(CPU_SAMPLE_STATE, isCpuRing));
    const taken: CpuSample[] = [];
    let before = pickBaseline(ring, current);
    if (!before) {
      before = current;
      taken.push(current);
      await ic.sleep(ic.settings.cpuSampleMs);
      current = _takeSample(ic, bootId, true);
    }
    if (!current.cpus.cpu) throw new Error("/proc/stat has no cpu line");
    taken.push(current);
    ic.writeState(CPU_SAMPLE_STATE, { samples: nextCpuRing(ring, taken, current) });
    const usage = cpuUsage(before, current);
    ic.meta.cpuWindowS = usage.windowS;
    return usage;
  });
}

export const cpu = defineItem({ id: "cpu", type: "percent", read: async (ic) => (await measureCpu(ic)).total });

export const cpuPerCpu = defineItem({ id: "cpu_per_cpu", type: "percent", read: async (ic) => (await measureCpu(ic)).perCpu });
