// /proc/meminfo: percent = (MemTotal − MemAvailable) / MemTotal × 100; kernels before 3.14 have no
// MemAvailable, so available falls back to MemFree + Buffers + Cached.
import { defineItem, type ItemContext } from "../item.ts";
import { clampPercent } from "../probe.ts";

/** `Name:   1234 kB` lines → bytes by name (lines without a unit, like HugePages_Total, stay counts). */
export function parseMeminfo(text: string): Record<string, number> {
  const info: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^([^:\s]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!match) continue;
    info[match[1]!] = Number(match[2]) * (match[3] ? 1024 : 1);
  }
  return info;
}

export interface MemoryFigures {
  total: number;
  available: number;
  used: number;
  free: number;
}

export function memoryFigures(info: Record<string, number>): MemoryFigures {
  const total = info.MemTotal;
  if (!total) throw new Error("/proc/meminfo has no MemTotal");
  const free = info.MemFree ?? 0;
  const available = Math.min(total, info.MemAvailable ?? free + (info.Buffers ?? 0) + (info.Cached ?? 0));
  return { total, available, used: total - available, free };
}

function _figures(ic: ItemContext): MemoryFigures {
  return ic.probe.once("meminfo", () => memoryFigures(parseMeminfo(ic.probe.text("/proc/meminfo"))));
}

export const memory = defineItem({
  id: "memory",
  type: "percent",
  read: (ic) => {
    const { total, used } = _figures(ic);
    return clampPercent((used / total) * 100);
  },
});

export const memoryBytes = defineItem({
  id: "memory_bytes",
  type: "bytes",
  read: (ic) => ({ ..._figures(ic) }),
});
