// /proc/net/dev, every interface but lo and those enslaved to a bond or bridge (they have
// /sys/class/net/<iface>/master, and their traffic is counted again at the master), summed:
// receive bytes/packets are columns 1–2, transmit bytes/packets columns 9–10 after `iface:`.
import { defineItem, type ItemContext } from "../item.ts";

export interface InterfaceCounters {
  iface: string;
  bytesReceived: number;
  packetsReceived: number;
  bytesSent: number;
  packetsSent: number;
}

export function parseNetDev(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!iface || iface.includes("|") || fields.length < 10 || fields.slice(0, 10).some((n) => !Number.isFinite(n))) continue;
    out.push({ iface, bytesReceived: fields[0]!, packetsReceived: fields[1]!, bytesSent: fields[8]!, packetsSent: fields[9]! });
  }
  return out;
}

export function networkTotals(interfaces: InterfaceCounters[], enslaved: ReadonlySet<string> = new Set()) {
  const totals = { bytes_sent: 0, bytes_received: 0, packets_sent: 0, packets_received: 0 };
  for (const i of interfaces) {
    if (i.iface === "lo" || enslaved.has(i.iface)) continue;
    totals.bytes_sent += i.bytesSent;
    totals.bytes_received += i.bytesReceived;
    totals.packets_sent += i.packetsSent;
    totals.packets_received += i.packetsReceived;
  }
  return totals;
}

/** The interfaces and which of them are enslaved, read once for `network` and `network_interfaces`. */
export function readNetInterfaces(ic: ItemContext): { interfaces: InterfaceCounters[]; enslaved: Set<string> } {
  return ic.probe.once("net_dev", () => {
    const interfaces = parseNetDev(ic.probe.text("/proc/net/dev"));
    const enslaved = new Set(interfaces.filter((i) => ic.probe.list(`/sys/class/net/${i.iface}`).includes("master")).map((i) => i.iface));
    return { interfaces, enslaved };
  });
}

export const network = defineItem({
  id: "network",
  type: "counter",
  read: (ic) => {
    const { interfaces, enslaved } = readNetInterfaces(ic);
    return networkTotals(interfaces, enslaved);
  },
});
