import { describe, expect, test } from "bun:test";
import { NETLINK_FROM_SOCKETS, parseSockstatTcp, prefersNetlink } from "../../src/collect/items/sockets.ts";

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
