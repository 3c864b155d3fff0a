// /proc/uptime: first field, seconds since boot.
import { defineItem } from "../item.ts";

export function parseUptime(text: string): number {
  const first = text.trim().split(/\s+/)[0];
  const seconds = Number(first);
  if (!first || !Number.isFinite(seconds) || seconds < 0) throw new Error(`/proc/uptime: unexpected content "${text.trim().slice(0, 40)}"`);
  return seconds;
}

export const uptime = defineItem({ id: "uptime", type: "seconds", read: (ic) => parseUptime(ic.probe.text("/proc/uptime")) });
