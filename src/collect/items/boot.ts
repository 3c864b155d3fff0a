// `btime` of /proc/stat (seconds since the epoch when the system booted), as ISO 8601 UTC.
import { defineItem } from "../item.ts";

export function parseBtime(procStat: string): number {
  const match = /^btime\s+(\d+)\s*$/m.exec(procStat);
  if (!match) throw new Error("/proc/stat has no btime line");
  return Number(match[1]);
}

export const lastBoot = defineItem({
  id: "last_boot",
  type: "string",
  read: (ic) => new Date(parseBtime(ic.probe.text("/proc/stat")) * 1000).toISOString(),
});
