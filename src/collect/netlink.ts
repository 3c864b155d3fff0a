// TCP socket states from the kernel's sock_diag netlink interface (what `ss` uses). Reading
// /proc/net/tcp makes the kernel walk its whole established-hash table, which is sized by RAM: on a
// 24 GiB machine each of tcp and tcp6 takes ~5 ms even with one socket, half of collect's budget.
// A netlink dump answers the same question in ~0.3 ms. Anything unexpected returns undefined and
// the caller reads /proc/net/tcp as before.

const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const IPPROTO_TCP = 6;
const NLMSG_HEADER = 16;
/** nlmsghdr (16) + inet_diag_req_v2 (56). */
const REQUEST_LENGTH = 72;

/** A dump request for every TCP socket of one address family, in any state. */
export function diagRequest(family: number): Uint8Array {
  const bytes = new Uint8Array(REQUEST_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, REQUEST_LENGTH, true);
  view.setUint16(4, SOCK_DIAG_BY_FAMILY, true);
  view.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, true);
  view.setUint32(8, 1, true);
  view.setUint8(NLMSG_HEADER, family);
  view.setUint8(NLMSG_HEADER + 1, IPPROTO_TCP);
  view.setUint32(NLMSG_HEADER + 4, 0xfff, true); // all TCP states (bit n = state n)
  return bytes;
}

/**
 * Counts inet_diag_msg states in one received datagram into `counts` (keys are /proc/net/tcp's
 * upper-case hex state codes). Returns true when the dump is complete; throws on NLMSG_ERROR.
 */
export function countDiagStates(buffer: Uint8Array, length: number, counts: Record<string, number>): boolean {
  const view = new DataView(buffer.buffer, buffer.byteOffset, length);
  let offset = 0;
  while (offset + NLMSG_HEADER <= length) {
    const messageLength = view.getUint32(offset, true);
    const type = view.getUint16(offset + 4, true);
    if (type === NLMSG_DONE) return true;
    if (type === NLMSG_ERROR) throw new Error("sock_diag answered with an error");
    if (messageLength < NLMSG_HEADER + 2 || offset + messageLength > length) throw new Error("truncated sock_diag message");
    const code = buffer[offset + NLMSG_HEADER + 1]!.toString(16).toUpperCase().padStart(2, "0");
    counts[code] = (counts[code] ?? 0) + 1;
    offset += (messageLength + 3) & ~3;
  }
  return false;
}

type _Ffi = typeof import("bun:ffi");

function _libc({ dlopen }: _Ffi) {
  return dlopen("libc.so.6", {
    socket: { args: ["i32", "i32", "i32"], returns: "i32" },
    send: { args: ["i32", "ptr", "u64", "i32"], returns: "i64" },
    recv: { args: ["i32", "ptr", "u64", "i32"], returns: "i64" },
    close: { args: ["i32"], returns: "i32" },
  });
}

/** TCP sockets by state code over IPv4 and IPv6, or undefined when netlink is not available here. */
export async function tcpStatesViaNetlink(): Promise<Record<string, number> | undefined> {
  let libc: ReturnType<typeof _libc>;
  let ptr: _Ffi["ptr"];
  try {
    // Loaded on first use: bun:ffi costs memory that `collect --only memory` need not pay.
    const ffi = await import("bun:ffi");
    ptr = ffi.ptr;
    libc = _libc(ffi); // glibc only; musl systems and emulators without sock_diag use /proc/net/tcp
  } catch {
    return undefined;
  }
  const { socket, send, recv, close } = libc.symbols;
  const counts: Record<string, number> = {};
  const buffer = new Uint8Array(65536);
  try {
    for (const family of [AF_INET, AF_INET6]) {
      const fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
      if (fd < 0) return undefined;
      try {
        const request = diagRequest(family);
        if (Number(send(fd, ptr(request), request.length, 0)) !== request.length) return undefined;
        for (let done = false; !done; ) {
          const received = Number(recv(fd, ptr(buffer), buffer.length, 0));
          if (received <= 0) return undefined;
          done = countDiagStates(buffer, received, counts);
        }
      } finally {
        close(fd);
      }
    }
    return counts;
  } catch {
    return undefined;
  } finally {
    libc.close();
  }
}
