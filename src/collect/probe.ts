import { readFileSync } from "node:fs";
import { listDir } from "../host.ts";
import { join } from "../posix-path.ts";
import type { FsStats } from "../context.ts";

/**
 * Reads the host's /proc, /sys and /etc under one root directory (`collect.rootfs`, `--root`), so a
 * test can point every read at a fixture tree. procfs files report size 0, so they are read to EOF
 * rather than by size. Reads are memoised for one collect run: several items share /proc/stat,
 * /proc/meminfo and the power supplies, and each is read once.
 */
export interface Probe {
  readonly root: string;
  /** The file's text; throws (ENOENT…) when it cannot be read. `fresh` skips the memo. */
  text(path: string, fresh?: boolean): string;
  /** The file's text, or undefined when it is missing or unreadable. */
  maybeText(path: string): string | undefined;
  /** A directory's entry names, sorted; [] when it is missing. */
  list(dir: string): string[];
  statfs(path: string, mayHang?: boolean): Promise<FsStats>;
  /** Computes a value once per run: items that share a source (cpu, cpu_per_cpu) share the work. */
  once<T>(key: string, compute: () => T): T;
}

export function createProbe(root: string, statfs: (path: string, mayHang: boolean) => Promise<FsStats>): Probe {
  const texts = new Map<string, string>();
  const computed = new Map<string, unknown>();
  const under = (path: string) => (root === "/" ? path : join(root, path));
  const probe: Probe = {
    root,
    text(path, fresh = false) {
      if (!fresh) {
        const cached = texts.get(path);
        if (cached !== undefined) return cached;
      }
      const text = readFileSync(under(path), "utf8");
      texts.set(path, text);
      return text;
    },
    maybeText(path) {
      try {
        return probe.text(path);
      } catch {
        return undefined;
      }
    },
    list: (dir) => listDir(under(dir)),
    statfs: (path, mayHang = false) => statfs(under(path), mayHang),
    once(key, compute) {
      if (!computed.has(key)) computed.set(key, compute());
      return computed.get(key) as ReturnType<typeof compute>;
    },
  };
  return probe;
}

/** sysfs attribute text: one value and a newline. */
export function sysValue(text: string | undefined): string | undefined {
  const value = text?.trim();
  return value === "" ? undefined : value;
}

/** A sysfs attribute as a number, or undefined when absent or not numeric. */
export function sysNumber(text: string | undefined): number | undefined {
  const value = sysValue(text);
  if (value === undefined || !/^-?\d+(\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function clampPercent(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return round(Math.min(100, Math.max(0, value)));
}
