// Shared by the benchmarks: machine description, statistics, timing a spawned command, and the
// results file (one section per benchmark, replaced in place so others' sections survive).
import { cpus, totalmem } from "node:os";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "..");
export const RESULTS = join(REPO, "bench", "RESULTS.md");

export function machine(): string {
  const kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  const model = cpus()[0]?.model ?? "unknown CPU";
  return `${cpus().length} cores (${model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${kernel}, Bun ${Bun.version}`;
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export interface Summary {
  median: number;
  p10: number;
  p90: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p10: quantile(sorted, 0.1), p90: quantile(sorted, 0.9), max: sorted.at(-1) ?? Number.NaN };
}

export interface Run {
  ms: number;
  stdout: string;
  code: number;
  /** CPU time of the child (wait4's rusage, all its threads), user and system, in ms. */
  userMs: number;
  systemMs: number;
}

/** Wall time from spawn to exit. */
export async function timeCommand(cmd: string[], env: Record<string, string | undefined> = process.env): Promise<Run> {
  const started = performance.now();
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "inherit", env });
  const stdout = await new Response(proc.stdout).text();
  const code = await proc.exited;
  const cpu = proc.resourceUsage()?.cpuTime;
  return { ms: performance.now() - started, stdout, code, userMs: Number(cpu?.user ?? 0) / 1000, systemMs: Number(cpu?.system ?? 0) / 1000 };
}

/**
 * Peak RSS in bytes and minor page faults, from GNU time (Debian's `time` package). Not Bun's
 * resourceUsage(): its maxRSS is the largest of all children so far, not this child's.
 */
export async function peakRss(cmd: string[], env: Record<string, string | undefined> = process.env): Promise<{ bytes: number; minorFaults: number }> {
  const out = `${process.env.TMPDIR ?? "/tmp"}/bagtower-rss-${process.pid}`;
  const proc = Bun.spawn(["/usr/bin/time", "-f", "%M %R", "-o", out, ...cmd], { stdout: "ignore", stderr: "inherit", env });
  if ((await proc.exited) !== 0) throw new Error(`${cmd.join(" ")} failed under /usr/bin/time`);
  const [kib, faults] = (await Bun.file(out).text()).trim().split("\n").at(-1)!.split(" ").map(Number);
  return { bytes: kib! * 1024, minorFaults: faults! };
}

/**
 * Drops a file's pages from the page cache, as a reboot does (install.sh does the same to the binary
 * it installs): flushed first, since only clean pages can be dropped, then dd's `iflag=nocache`
 * (posix_fadvise DONTNEED). Pages a running process maps stay. Returns whether none are left.
 */
export function evictPageCache(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dd = Bun.spawnSync(["dd", `if=${path}`, "iflag=nocache", "count=0", "status=none"], { stderr: "pipe" });
  if (dd.exitCode !== 0) throw new Error(`dd iflag=nocache ${path}: ${dd.stderr.toString().trim()}`);
  const fincore = Bun.spawnSync(["fincore", "--bytes", "--noheadings", "--output", "RES", path], { stdout: "pipe", stderr: "ignore" });
  return fincore.exitCode === 0 && Number(fincore.stdout.toString().trim()) === 0;
}

/** Replaces the section `## title` of bench/RESULTS.md (or appends it). */
export function writeSection(title: string, body: string): void {
  const header = "# bagtower benchmark results\n\nWritten by the scripts in `bench/` (`npm run bench`). Every figure is compared with a reference measured in the same run, on the same machine.\n";
  const text = existsSync(RESULTS) ? readFileSync(RESULTS, "utf8") : header;
  const section = `## ${title}\n\n${body.trim()}\n`;
  const pattern = new RegExp(`## ${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n[\\s\\S]*?(?=\\n## |$)`);
  const next = pattern.test(text) ? text.replace(pattern, section) : `${text.trimEnd()}\n\n${section}`;
  writeFileSync(RESULTS, next.endsWith("\n") ? next : `${next}\n`);
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
