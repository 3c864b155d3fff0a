// statfs(2) of the root mount, `df` semantics: used = (blocks − bfree) × frsize, avail = bavail ×
// frsize, percent = used / (used + avail) × 100 (blocks reserved for root count as neither).
import type { FsStats } from "../../context.ts";
import { defineItem } from "../item.ts";
import { clampPercent } from "../probe.ts";

export function diskPercent(stats: FsStats): number {
  const used = (stats.blocks - stats.bfree) * stats.bsize;
  const avail = stats.bavail * stats.bsize;
  return used + avail <= 0 ? 0 : clampPercent((used / (used + avail)) * 100);
}

export const diskusage = defineItem({
  id: "diskusage",
  type: "percent",
  read: async (ic) => diskPercent(await ic.probe.statfs("/")),
});
