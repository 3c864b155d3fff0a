// /proc/loadavg: the 1, 5 and 15 minute load averages (first three fields).
import { defineItem } from "../item.ts";

export function parseLoadavg(text: string): { "1m": number; "5m": number; "15m": number } {
  const [one, five, fifteen] = text.trim().split(/\s+/).map(Number);
  if ([one, five, fifteen].some((n) => n === undefined || !Number.isFinite(n))) {
    throw new Error(`/proc/loadavg: unexpected content "${text.trim().slice(0, 40)}"`);
  }
  return { "1m": one!, "5m": five!, "15m": fifteen! };
}

export const load = defineItem({ id: "load", type: "number", read: (ic) => parseLoadavg(ic.probe.text("/proc/loadavg")) });
