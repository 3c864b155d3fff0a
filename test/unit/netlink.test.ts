import { describe, expect, test } from "bun:test";
import { countDiagStates, diagRequest } from "../../src/collect/netlink.ts";

/** One inet_diag_msg datagram part: nlmsghdr + family/state bytes, padded to `length`. */
function message(type: number, state: number, length = 88): Uint8Array {
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, length, true);
  view.setUint16(4, type, true);
  bytes[16] = 2;
  bytes[17] = state;
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("sock_diag messages", () => {
  test("the request asks for a TCP dump of one family in every state", () => {
    const request = diagRequest(10);
    const view = new DataView(request.buffer);
    expect(request.length).toBe(72);
    expect(view.getUint32(0, true)).toBe(72);
    expect(view.getUint16(4, true)).toBe(20);
    expect(view.getUint16(6, true)).toBe(0x301);
    expect([request[16], request[17]]).toEqual([10, 6]);
    expect(view.getUint32(20, true)).toBe(0xfff);
  });

  test("states are counted under /proc/net/tcp's hex codes until NLMSG_DONE", () => {
    const counts: Record<string, number> = {};
    const datagram = concat(message(20, 1), message(20, 10), message(20, 1), message(20, 6));
    expect(countDiagStates(datagram, datagram.length, counts)).toBe(false);
    const last = concat(message(20, 11), message(3, 0, 20));
    expect(countDiagStates(last, last.length, counts)).toBe(true);
    expect(counts).toEqual({ "01": 2, "0A": 1, "06": 1, "0B": 1 });
  });

  test("an empty datagram is not the end", () => expect(countDiagStates(new Uint8Array(0), 0, {})).toBe(false));

  test("an error message or a truncated message throws", () => {
    const error = message(2, 0, 36);
    expect(() => countDiagStates(error, error.length, {})).toThrow("error");
    const truncated = message(20, 1, 88);
    expect(() => countDiagStates(truncated, 40, {})).toThrow("truncated");
  });
});
