// /proc/net/tcp and /proc/net/tcp6, 4th column (st, hex): 01 established; 04 05 06 08 09 0B closing
// (FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE_WAIT, LAST_ACK, CLOSING); 07 close; 0A listen. On the live
// system with many sockets the same states come from sock_diag netlink (see netlink.ts); with few,
// /proc/net/tcp is cheaper than loading bun:ffi (~2 ms vs ~4.5 ms here, docs/PERFORMANCE.md).
import { defineItem } from "../item.ts";
import { tcpStatesViaNetlink } from "../netlink.ts";

/** The 4th field of a line (sl, local, remote, st), two hex digits; [ \t] so no match spans lines. */
const _STATE = /^[ \t]*\S+[ \t]+\S+[ \t]+\S+[ \t]+([0-9A-Fa-f]{2})(?=[ \t]|$)/gm;

/**
 * Socket lines by TCP state code (upper-case hex, as the kernel writes it). One regex pass over the
 * text rather than splitting every line into its 17 fields: a busy machine has thousands of lines.
 */
export function parseTcpStates(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const body = text.slice(text.indexOf("\n") + 1 || text.length); // the header line is not a socket
  // exec in a loop rather than matchAll: the same matches without an iterator object per run.
  const state = new RegExp(_STATE);
  for (let match = state.exec(body); match !== null; match = state.exec(body)) {
    const code = match[1]!.toUpperCase();
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

/** From this many TCP sockets on (allocated plus TIME_WAIT), netlink is cheaper than the text files. */
export const NETLINK_FROM_SOCKETS = 1000;

/** The numeric fields of a sockstat line (`TCP: inuse 7 orphan 0 tw 6 …`), or undefined when it is missing. */
function _sockstatFields(text: string, protocol: string): ((name: string) => number) | undefined {
  const fields = new RegExp(`^${protocol}: (.*)$`, "m").exec(text)?.[1]?.trim().split(/\s+/);
  if (!fields) return undefined;
  return (name) => {
    const at = fields.indexOf(name);
    return at >= 0 && at + 1 < fields.length ? Number(fields[at + 1]) : Number.NaN;
  };
}

/**
 * TCP sockets the kernel holds, from /proc/net/sockstat's `TCP:` line (alloc counts IPv4 and IPv6,
 * tw the TIME_WAIT ones), or undefined when the line is missing or malformed.
 */
export function parseSockstatTcp(text: string): number | undefined {
  const field = _sockstatFields(text, "TCP");
  const total = field ? field("alloc") + field("tw") : Number.NaN;
  return Number.isFinite(total) && total >= 0 ? total : undefined;
}

/**
 * Whether a family's socket table is certainly empty: its `inuse` (sockets in the kernel's hash
 * tables, listening ones included; `TCP:` of sockstat for IPv4, `TCP6:` of sockstat6 for IPv6) is 0
 * and sockstat's `tw` (TIME_WAIT sockets of both families) is 0. Reading /proc/net/tcp or tcp6 walks
 * every bucket of the established hash however few sockets there are (~0.8 ms each with 262,144
 * buckets), so an empty family is not read. Anything unreadable or malformed counts as not empty.
 */
export function emptyTcpFamily(sockstat: string | undefined, familyStat: string | undefined, protocol: "TCP" | "TCP6"): boolean {
  const tw = sockstat === undefined ? undefined : _sockstatFields(sockstat, "TCP")?.("tw");
  const inuse = familyStat === undefined ? undefined : _sockstatFields(familyStat, protocol)?.("inuse");
  return tw === 0 && inuse === 0;
}

/**
 * The live system asks netlink only when there are many sockets: /proc/net/tcp's text grows by
 * ~150 bytes a socket, while netlink's fixed cost is loading bun:ffi (and ~1 MB of RSS). An
 * unreadable sockstat keeps netlink, whose failure still falls back to the text files.
 */
export function prefersNetlink(sockstat: string | undefined): boolean {
  const sockets = sockstat === undefined ? undefined : parseSockstatTcp(sockstat);
  return sockets === undefined || sockets >= NETLINK_FROM_SOCKETS;
}

const _CLOSING = ["04", "05", "06", "08", "09", "0B"];

export function socketsInfo(counts: Record<string, number>) {
  const count = (code: string) => counts[code] ?? 0;
  return {
    nb_established: count("01"),
    nb_sockets_closing: _CLOSING.reduce((sum, code) => sum + count(code), 0),
    nb_sockets_close: count("07"),
    nb_sockets_listen: count("0A"),
  };
}

export const socketsInfoItem = defineItem({
  id: "sockets_info",
  type: "count",
  read: async (ic) => {
    const sockstat = ic.probe.maybeText("/proc/net/sockstat");
    const live = ic.probe.root === "/" && prefersNetlink(sockstat) ? await tcpStatesViaNetlink() : undefined;
    if (live) return socketsInfo(live);
    const v4 = emptyTcpFamily(sockstat, sockstat, "TCP") ? "" : ic.probe.maybeText("/proc/net/tcp");
    const v6 = emptyTcpFamily(sockstat, ic.probe.maybeText("/proc/net/sockstat6"), "TCP6") ? "" : ic.probe.maybeText("/proc/net/tcp6");
    if (v4 === undefined && v6 === undefined) throw new Error("neither /proc/net/tcp nor /proc/net/tcp6 can be read");
    const counts = parseTcpStates(v4 ?? "");
    for (const [code, n] of Object.entries(parseTcpStates(v6 ?? ""))) counts[code] = (counts[code] ?? 0) + n;
    return socketsInfo(counts);
  },
});
