// /proc/<pid>/stat of every process: the 5 with most CPU over the window since the previous run
// (Δ(utime + stime) / USER_HZ / window × 100, percent of one CPU; a process born inside the window,
// or every process on a first run, is measured over its own life as `ps` does) and the 5 with most
// resident memory (stat's rss in pages ranks them; /proc/<pid>/status VmRSS gives the 5 their kB).
// One small file per process, plus 5 status files: the cost is bounded by the process count.
import { STATE_FILES } from "../../paths.ts";
import { isCounterSample } from "../../state.ts";
import { defineItem, type ItemContext } from "../item.ts";
import { processIds } from "../pids.ts";
import { round } from "../probe.ts";
import { parseUptime } from "./uptime.ts";

/** The kernel exports clock_t in /proc at USER_HZ, 100 on every Linux architecture bagtower runs on. */
const USER_HZ = 100;
const _TOP = 5;
/**
 * At most this many processes are read (about 20 µs each) and remembered for the next window, so
 * a host running tens of thousands of processes costs a bounded ~0.2 s and a state file of ~200 kB.
 */
const _MAX_PROCESSES = 8192;

export interface ProcStat {
  pid: number;
  comm: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** Start time after boot, in clock ticks. */
  starttime: number;
  rssPages: number;
}

/**
 * Fields 14, 15, 22 and 24 of proc(5) (utime, stime, starttime, rss), counted from the state field
 * after the comm. One regular expression: splitting the line into its 52 fields cost ~4× as much
 * per process, and this runs once for every process on the host.
 */
const _STAT_FIELDS = /^(?:\S+\s+){11}(\d+)\s+(\d+)\s+(?:\S+\s+){6}(\d+)\s+\S+\s+(-?\d+)/;

/** /proc/<pid>/stat → the fields used; the comm may hold spaces and parentheses, so it ends at the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open));
  const m = _STAT_FIELDS.exec(text.slice(close + 1).trimStart());
  if (!Number.isInteger(pid) || !m) return undefined;
  return { pid, comm: text.slice(open + 1, close), ticks: Number(m[1]) + Number(m[2]), starttime: Number(m[3]), rssPages: Math.max(0, Number(m[4])) };
}

/** status text → VmRSS in bytes. */
export function parseVmRss(text: string | undefined): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text ?? "");
  return match ? Number(match[1]) * 1024 : undefined;
}

export interface ProcessesSample {
  ms: number;
  bootId: string;
  /** utime + stime by `pid:starttime` (a reused pid is another process). */
  ticks: Record<string, number>;
}

export function isProcessesSample(json: unknown): json is ProcessesSample {
  return isCounterSample(json, "ticks");
}

const _key = (p: ProcStat) => `${p.pid}:${p.starttime}`;

/**
 * CPU percent of each process: over the window since `previous` when it knew the process, else
 * over the process's life (capped to the window), so a process born a second ago is not averaged
 * over ten minutes.
 */
export function processCpuPercents(procs: ProcStat[], uptimeS: number, nowMs: number, previous: ProcessesSample | undefined): Map<number, number> {
  const out = new Map<number, number>();
  const windowS = previous ? (nowMs - previous.ms) / 1000 : Number.POSITIVE_INFINITY;
  for (const p of procs) {
    const before = previous?.ticks[_key(p)];
    const ageS = uptimeS - p.starttime / USER_HZ;
    const spanS = before !== undefined ? windowS : Math.min(windowS, ageS);
    if (!(spanS > 0)) continue;
    const used = (p.ticks - (before ?? 0)) / USER_HZ;
    out.set(p.pid, round(Math.max(0, (used / spanS) * 100)));
  }
  return out;
}

function _label(p: ProcStat, value: string): string {
  return `${p.comm} [${p.pid}] ${value}`;
}

function _mib(bytes: number): string {
  return `${round(bytes / 1048576)} MiB`;
}

/** The two top-5 lists as a string table: `cpu1`…`cpu5`, `rss1`…`rss5`, each "comm [pid] value". */
export function topProcesses(procs: ProcStat[], cpu: Map<number, number>, rssBytes: (p: ProcStat) => number): Record<string, string> {
  const out: Record<string, string> = {};
  const byCpu = procs.filter((p) => (cpu.get(p.pid) ?? 0) > 0).sort((a, b) => cpu.get(b.pid)! - cpu.get(a.pid)! || a.pid - b.pid);
  byCpu.slice(0, _TOP).forEach((p, i) => (out[`cpu${i + 1}`] = _label(p, `${cpu.get(p.pid)}%`)));
  const byRss = procs.filter((p) => p.rssPages > 0).sort((a, b) => b.rssPages - a.rssPages || a.pid - b.pid);
  byRss.slice(0, _TOP).forEach((p, i) => (out[`rss${i + 1}`] = _label(p, _mib(rssBytes(p)))));
  return out;
}

function _readStats(ic: ItemContext): ProcStat[] {
  const out: ProcStat[] = [];
  const pids = processIds(ic.probe);
  if (pids.length > _MAX_PROCESSES) ic.warn("top_processes", `${pids.length} processes: only the first ${_MAX_PROCESSES} by pid were read`);
  for (const pid of pids.slice(0, _MAX_PROCESSES)) {
    // A process may end between the listing and the read: it is simply not counted.
    const text = ic.probe.maybeText(`/proc/${pid}/stat`);
    const stat = text === undefined ? undefined : parseProcStat(text);
    if (stat) out.push(stat);
  }
  return out;
}

export const topProcessesItem = defineItem({
  id: "top_processes",
  type: "string",
  read: (ic) => {
    const procs = _readStats(ic);
    if (procs.length === 0) return undefined;
    const now = ic.now();
    const bootId = ic.probe.maybeText("/proc/sys/kernel/random/boot_id")?.trim() ?? "";
    const stored = ic.readState(STATE_FILES.processesSample, isProcessesSample);
    const previous = stored && stored.bootId === bootId && now - stored.ms >= 1000 ? stored : undefined;
    const cpu = processCpuPercents(procs, parseUptime(ic.probe.text("/proc/uptime")), now, previous);
    const ticks: Record<string, number> = {};
    for (const p of procs) ticks[_key(p)] = p.ticks;
    ic.writeState(STATE_FILES.processesSample, { ms: now, bootId, ticks } satisfies ProcessesSample);
    // Pages are 4 KiB on most devices, 16 KiB on a Pi 5's kernel: status's VmRSS is exact.
    const rss = (p: ProcStat) => parseVmRss(ic.probe.maybeText(`/proc/${p.pid}/status`)) ?? p.rssPages * 4096;
    const table = topProcesses(procs, cpu, rss);
    return Object.keys(table).length === 0 ? undefined : table;
  },
});
