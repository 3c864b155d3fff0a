// /proc/net/wireless: link quality (of 70, the usual maximum) and signal level in dBm of the first
// wireless interface; quality percent = link / 70 × 100.
import { defineItem } from "../item.ts";
import { clampPercent } from "../probe.ts";

export interface WirelessLink {
  iface: string;
  link: number;
  level: number;
}

/** Two header lines, then `wlan0: 0000   57.  -53.  -256 …`; values may end with a dot. */
export function parseWireless(text: string): WirelessLink[] {
  const out: WirelessLink[] = [];
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    const link = Number(fields[1]?.replace(/\.$/, ""));
    const level = Number(fields[2]?.replace(/\.$/, ""));
    if (!Number.isFinite(link) || !Number.isFinite(level) || fields[1] === undefined || fields[2] === undefined) continue;
    out.push({ iface: line.slice(0, colon).trim(), link, level });
  }
  return out;
}

export const wifi = defineItem({
  id: "wifi",
  type: "dbm",
  read: (ic) => {
    const first = parseWireless(ic.probe.maybeText("/proc/net/wireless") ?? "")[0];
    if (!first) return undefined;
    return { rssi_dbm: first.level, signal_quality_percent: clampPercent((first.link / 70) * 100) };
  },
});
