// /proc/net/dev per interface, as `iface.bytes_sent`, `iface.bytes_received`, `iface.packets_sent`,
// `iface.packets_received`: the same interfaces the `network` sum counts (not lo, not a bond's or a
// bridge's members), so a Pi's wlan0 and eth0 can be told apart. `network` keeps its summed shape.
import { defineItem } from "../item.ts";
import { readNetInterfaces, type InterfaceCounters } from "./network.ts";

export function interfaceKeys(interfaces: InterfaceCounters[], enslaved: ReadonlySet<string> = new Set()): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of interfaces) {
    if (i.iface === "lo" || enslaved.has(i.iface)) continue;
    out[`${i.iface}.bytes_sent`] = i.bytesSent;
    out[`${i.iface}.bytes_received`] = i.bytesReceived;
    out[`${i.iface}.packets_sent`] = i.packetsSent;
    out[`${i.iface}.packets_received`] = i.packetsReceived;
  }
  return out;
}

export const networkInterfaces = defineItem({
  id: "network_interfaces",
  type: "counter",
  read: (ic) => {
    const { interfaces, enslaved } = readNetInterfaces(ic);
    const keys = interfaceKeys(interfaces, enslaved);
    return Object.keys(keys).length === 0 ? undefined : keys;
  },
});
