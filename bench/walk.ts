// Realistic telemetry for the benchmarks: every device's values take a seeded random walk around
// the pi4 fixture's (test/fixtures/proc/pi4/expected.json), because constant values compress to
// nothing in any codec and flatter every store. Pure and deterministic: the same seed, device and
// step always give the same record, whatever order they are asked in.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { numericPoints } from "../src/formats/flatten.ts";
import { BUILTIN_IDS } from "../src/record/builtin-ids.ts";
import type { BagtowerRecord } from "../src/record/schema.ts";
import { mulberry32 } from "../test/helpers/prng.ts";

/** Seconds between two records of a device: the agent's default cron period. */
export const STEP_S = 600;
/** A week of ten-minute steps. */
export const WEEK_STEPS = 1008;

const _PI4 = JSON.parse(readFileSync(join(import.meta.dir, "../test/fixtures/proc/pi4/expected.json"), "utf8")) as BagtowerRecord;
/**
 * The items the walk models, up to `system`: the benchmarks' figures were measured with that record.
 * The device health items that follow in BUILTIN_IDS (power, disk_io, network_interfaces in this
 * fixture) would stay constant here and change every figure; they are left out.
 */
const FIXTURE: BagtowerRecord = { ..._PI4, data: _PI4.data.filter((i) => BUILTIN_IDS.indexOf(i.id) <= BUILTIN_IDS.indexOf("system")) };

/** A reboot every ~2,000 steps (about once every two weeks per device): counters and uptime start over. */
const REBOOT_P = 1 / 2000;

export interface WalkOptions {
  /** Unix seconds of step 0 (default: the fixture's timestamp). */
  start?: number;
  /** Prefix of every recordId, so two runs' records are never duplicates of each other (default "walk"). */
  idPrefix?: string;
  /** Seconds between two records of a device (default STEP_S): uptime and the counters advance by as much. */
  stepS?: number;
}

export interface Walk {
  /** The record of `device` (0 ≤ device < devices) at `step` (≥ 0): timestamp start + step × stepS + a per-device offset below stepS. */
  recordAt(device: number, step: number): BagtowerRecord;
  /** recordAt(device, step).unixTimestamp, without walking there. */
  timestampAt(device: number, step: number): number;
}


/** A standard normal draw (Box–Muller). */
function _gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

const _clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const _round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A walk step that drifts back towards `mean` (Ornstein–Uhlenbeck), so a week stays plausible. */
const _revert = (rand: () => number, x: number, mean: number, pull: number, sigma: number) => x + pull * (mean - x) + sigma * _gauss(rand);

const _FREQS = [600, 1000, 1350, 1500, 1800];

/** Everything that carries over from one step to the next. */
interface State {
  step: number;
  rand: () => number;
  bootAt: number;
  cpu: number;
  perCpu: number[];
  used: number;
  free: number;
  disk: number;
  boot: number;
  sockets: number[];
  load: number[];
  temp: number;
  freq: number;
  net: number[];
  /** Bytes per second sent and received: the counters grow by these, which themselves wander. */
  rates: number[];
  rssi: number;
  quality: number;
  processes: number;
}

function _num(id: string): number {
  return FIXTURE.data.find((i) => i.id === id)!.val as number;
}
function _obj(id: string): Record<string, number> {
  return FIXTURE.data.find((i) => i.id === id)!.val as Record<string, number>;
}

const F = {
  cpu: _num("cpu"),
  perCpu: FIXTURE.data.find((i) => i.id === "cpu_per_cpu")!.val as number[],
  mem: _obj("memory_bytes"),
  disk: _num("diskusage"),
  boot: _obj("filesystems")["/boot/firmware"]!,
  sockets: Object.values(_obj("sockets_info")),
  load: Object.values(_obj("load")),
  uptime: _num("uptime"),
  temp: _obj("temperature")["cpu-thermal"]!,
  freq: _num("cpu_frequency"),
  net: Object.values(_obj("network")),
  wifi: _obj("wifi"),
  processes: _num("processes"),
};

function _initial(seed: number, device: number, stepS: number): State {
  const rand = mulberry32(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(device + 1, 0xc2b2ae35));
  // Each device starts a little apart from the fixture, so the fleet is not in lockstep.
  const spread = (x: number, rel: number) => x * (1 + rel * (rand() * 2 - 1));
  return {
    step: 0,
    rand,
    bootAt: -Math.floor(F.uptime / stepS),
    cpu: spread(F.cpu, 0.3),
    perCpu: F.perCpu.map((c) => spread(c, 0.3)),
    used: spread(F.mem.used!, 0.2),
    free: spread(F.mem.free!, 0.2),
    disk: spread(F.disk, 0.3),
    boot: F.boot,
    sockets: F.sockets.map((s) => Math.round(spread(s, 0.5))),
    load: F.load.map((l) => spread(l, 0.3)),
    temp: spread(F.temp, 0.05),
    freq: F.freq,
    net: F.net.map((n) => Math.round(spread(n, 0.5))),
    // ~1 MB/10 min sent, ~6 MB received (the fixture's totals over its 3 days of uptime).
    rates: [F.net[0]! / F.uptime, F.net[1]! / F.uptime].map((r) => spread(r, 0.5)),
    rssi: Math.round(spread(F.wifi.rssi_dbm!, 0.1)),
    quality: spread(F.wifi.signal_quality_percent!, 0.05),
    processes: F.processes,
  };
}

function _advance(s: State, stepS: number): void {
  const r = s.rand;
  s.step++;
  const reboot = r() < REBOOT_P;
  if (reboot) s.bootAt = s.step;
  s.cpu = _clamp(_revert(r, s.cpu, F.cpu, 0.1, 4), 0, 100);
  s.perCpu = s.perCpu.map((c, i) => _clamp(_revert(r, c, F.perCpu[i]!, 0.1, 5), 0, 100));
  s.used = _clamp(_revert(r, s.used, F.mem.used!, 0.05, 8e6), 1e8, F.mem.total! * 0.95);
  s.free = _clamp(_revert(r, s.free, F.mem.free!, 0.05, 2e7), 5e7, F.mem.total! - s.used);
  // The root file system fills slowly, with a clean-up now and then.
  s.disk = _clamp(s.disk + 0.002 + 0.01 * _gauss(r) - (r() < 0.002 ? 2 : 0), 1, 99);
  s.sockets = s.sockets.map((n, i) => Math.max(0, Math.round(n + 0.1 * (F.sockets[i]! - n) + _gauss(r))));
  const fast = _clamp(_revert(r, s.load[0]!, s.cpu / 70, 0.3, 0.15), 0, 16);
  // 5 m and 15 m follow 1 m as the kernel's exponential averages do.
  s.load = [fast, s.load[1]! + (fast - s.load[1]!) * 0.86, s.load[2]! + (fast - s.load[2]!) * 0.49];
  s.temp = _clamp(_revert(r, s.temp, F.temp + (s.cpu - F.cpu) * 0.1, 0.2, 0.4), 20, 85);
  if (r() < 0.1) s.freq = _FREQS[Math.floor(r() * _FREQS.length)]!;
  s.rates = s.rates.map((rate, i) => _clamp(rate * Math.exp(0.2 * _gauss(r)), 10, 1e6 * (i + 1)));
  const grow = [s.rates[0]! * stepS, s.rates[1]! * stepS];
  // Packets: ~600 bytes each sent, ~700 received (the fixture's ratio), with some noise.
  const add = [grow[0]!, grow[1]!, grow[0]! / (F.net[0]! / F.net[2]!), grow[1]! / (F.net[1]! / F.net[3]!)].map((g) => Math.max(0, Math.round(g * (1 + 0.1 * _gauss(r)))));
  s.net = reboot ? add : s.net.map((n, i) => n + add[i]!);
  s.rssi = Math.round(_clamp(_revert(r, s.rssi, F.wifi.rssi_dbm!, 0.2, 1.2), -90, -30));
  s.quality = _clamp(_revert(r, s.quality, F.wifi.signal_quality_percent!, 0.2, 1.5), 0, 100);
  s.processes = Math.max(1, Math.round(s.processes + 0.2 * (F.processes - s.processes) + 0.7 * _gauss(r)));
}

const _timestamp = (start: number, stepS: number, device: number, step: number) => start + step * stepS + ((device * 37) % stepS);

function _record(s: State, device: number, start: number, idPrefix: string, stepS: number): BagtowerRecord {
  const name = `bench-${String(device).padStart(4, "0")}`;
  const ts = _timestamp(start, stepS, device, s.step);
  const uptime = (s.step - s.bootAt) * stepS + ((device * 13) % 97) + 0.37;
  const total = F.mem.total!;
  const used = Math.round(s.used);
  const pct = (x: number) => _round(_clamp(x, 0, 100), 1);
  const data = FIXTURE.data.map((item) => {
    switch (item.id) {
      case "cpu":
        return { ...item, val: pct(s.cpu) };
      case "cpu_per_cpu":
        return { ...item, val: s.perCpu.map(pct) };
      case "memory":
        return { ...item, val: pct((used / total) * 100) };
      case "diskusage":
        return { ...item, val: pct(s.disk) };
      case "last_boot":
        return { ...item, val: new Date((ts - Math.round(uptime)) * 1000).toISOString().replace(/\.\d+Z$/, ".000Z") };
      case "sockets_info":
        return { ...item, val: Object.fromEntries(Object.keys(item.val as object).map((k, i) => [k, s.sockets[i]!])) };
      case "load":
        return { ...item, val: Object.fromEntries(Object.keys(item.val as object).map((k, i) => [k, _round(s.load[i]!, 2)])) };
      case "uptime":
        return { ...item, val: _round(uptime, 2) };
      case "memory_bytes":
        return { ...item, val: { total, available: total - used, used, free: Math.round(Math.min(s.free, total - used)) } };
      case "temperature":
        return { ...item, val: { "cpu-thermal": _round(s.temp, 1) } };
      case "cpu_frequency":
        return { ...item, val: s.freq };
      case "network":
        return { ...item, val: Object.fromEntries(Object.keys(item.val as object).map((k, i) => [k, s.net[i]!])) };
      case "wifi":
        return { ...item, val: { rssi_dbm: s.rssi, signal_quality_percent: pct(s.quality) } };
      case "filesystems":
        return { ...item, val: { "/": pct(s.disk), "/boot/firmware": pct(s.boot) } };
      case "processes":
        return { ...item, val: s.processes };
      default:
        return item;
    }
  }) as BagtowerRecord["data"];
  return {
    deviceId: name,
    unixTimestamp: ts,
    UTCTimestamp: new Date(ts * 1000).toISOString(),
    data,
    meta: {
      ...FIXTURE.meta,
      recordId: `${idPrefix}-${device}-${s.step}`,
      machineId: (0xb7000000 + device).toString(16).padStart(32, "0"),
      hostname: name,
      seq: s.step,
    },
  };
}

/**
 * A fleet of `devices` walking from `seed`. Asking a device's steps in increasing order costs one
 * step each; going back replays that device's walk from step 0.
 */
export function createWalk(seed: number, devices: number, options: WalkOptions = {}): Walk {
  const start = options.start ?? FIXTURE.unixTimestamp;
  const idPrefix = options.idPrefix ?? "walk";
  const stepS = options.stepS ?? STEP_S;
  if (!Number.isInteger(stepS) || stepS < 1) throw new RangeError(`stepS ${stepS} is not a whole number of seconds ≥ 1`);
  const states = new Map<number, State>();
  return {
    recordAt(device, step) {
      if (!Number.isInteger(device) || device < 0 || device >= devices) throw new RangeError(`device ${device} is not in 0..${devices - 1}`);
      if (!Number.isInteger(step) || step < 0) throw new RangeError(`step ${step} is not a whole number ≥ 0`);
      let s = states.get(device);
      if (s === undefined || s.step > step) {
        s = _initial(seed, device, stepS);
        states.set(device, s);
      }
      while (s.step < step) _advance(s, stepS);
      return _record(s, device, start, idPrefix, stepS);
    },
    timestampAt: (device, step) => _timestamp(start, stepS, device, step),
  };
}

/**
 * The same records as Influx line protocol for the VictoriaMetrics reference: one line per record
 * with all its numbers as fields (`cpu`, `network_bytes_sent`, …), VictoriaMetrics' cheapest
 * form for the same samples. bagtower's influx sink writes a line per label set (docs/METRICS.md),
 * which costs VictoriaMetrics more per record; the reference keeps to the cheap form so a ratio
 * against it never flatters serve.
 */
export function influxLines(records: BagtowerRecord[]): string {
  let out = "";
  for (const record of records) {
    const fields = numericPoints(record).map((p) => {
      const name = (p.key === undefined ? p.id : `${p.id}_${p.key}`).replace(/[^A-Za-z0-9_]/g, "_");
      const integer = p.type === "counter" || p.type === "bytes" || p.type === "count" || p.id === "processes";
      return `${name}=${integer ? `${Math.round(p.value)}i` : p.value}`;
    });
    out += `bagtower,host=${record.meta.hostname},device=${record.deviceId} ${fields.join(",")} ${record.unixTimestamp}\n`;
  }
  return out;
}
