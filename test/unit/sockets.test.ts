import { describe, expect, test } from "bun:test";
import { emptyTcpFamily, NETLINK_FROM_SOCKETS, parseSockstatTcp, prefersNetlink } from "../../src/collect/items/sockets.ts";

describe("parseSockstatTcp and the netlink choice", () => {
  const sockstat = (tcp: string) => `sockets: used 22\n${tcp}\nUDP: inuse 0 mem 0\n`;
  test.each([
    ["normal", sockstat("TCP: inuse 7 orphan 0 tw 6 alloc 7 mem 294"), 13],
    ["a busy server", sockstat("TCP: inuse 10010 orphan 2 tw 2775 alloc 10012 mem 145"), 12787],
    ["extra fields", sockstat("TCP: inuse 1 orphan 0 tw 2 alloc 3 mem 4 future 9"), 5],
    ["no TCP line", "sockets: used 22\n", undefined],
    ["empty", "", undefined],
    ["truncated", sockstat("TCP: inuse 7 orphan 0 tw"), undefined],
    ["malformed", sockstat("TCP: inuse x orphan 0 tw y alloc z"), undefined],
  ])("%s", (_name, text, expected) => expect(parseSockstatTcp(text)).toBe(expected));

  test("netlink only from NETLINK_FROM_SOCKETS sockets on, or when sockstat says nothing", () => {
    expect(prefersNetlink(sockstat("TCP: inuse 7 orphan 0 tw 6 alloc 7 mem 1"))).toBe(false);
    expect(prefersNetlink(sockstat(`TCP: inuse 0 orphan 0 tw 0 alloc ${NETLINK_FROM_SOCKETS} mem 1`))).toBe(true);
    expect(prefersNetlink(undefined)).toBe(true);
    expect(prefersNetlink("garbage")).toBe(true);
  });
});

describe("emptyTcpFamily: a family's table is skipped only when sockstat says it is empty", () => {
  const sockstat = (tcp: string) => `sockets: used 22\n${tcp}\nUDP: inuse 0 mem 0\n`;
  const sockstat6 = (tcp6: string) => `${tcp6}\nUDP6: inuse 1\n`;
  test.each([
    ["IPv4 empty, no TIME_WAIT", sockstat("TCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0"), sockstat("TCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0"), "TCP", true],
    ["IPv4 with a listener", sockstat("TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0"), sockstat("TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0"), "TCP", false],
    ["IPv4 empty but TIME_WAIT sockets", sockstat("TCP: inuse 0 orphan 0 tw 3 alloc 0 mem 0"), sockstat("TCP: inuse 0 orphan 0 tw 3 alloc 0 mem 0"), "TCP", false],
    ["IPv6 empty", sockstat("TCP: inuse 4 orphan 0 tw 0 alloc 4 mem 1"), sockstat6("TCP6: inuse 0"), "TCP6", true],
    ["IPv6 in use", sockstat("TCP: inuse 4 orphan 0 tw 0 alloc 6 mem 1"), sockstat6("TCP6: inuse 2"), "TCP6", false],
    ["IPv6 empty but TIME_WAIT of either family", sockstat("TCP: inuse 4 orphan 0 tw 1 alloc 4 mem 1"), sockstat6("TCP6: inuse 0"), "TCP6", false],
    ["sockstat6 unreadable", sockstat("TCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0"), undefined, "TCP6", false],
    ["sockstat unreadable", undefined, sockstat6("TCP6: inuse 0"), "TCP6", false],
    ["malformed inuse", sockstat("TCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0"), sockstat6("TCP6: inuse x"), "TCP6", false],
    ["no TCP6 line", sockstat("TCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0"), "UDP6: inuse 0\n", "TCP6", false],
  ] as const)("%s", (_name, stat, familyStat, protocol, expected) => expect(emptyTcpFamily(stat, familyStat, protocol)).toBe(expected));
});
