import { errorMessage } from "../errors.ts";

/**
 * The origin a client on this machine reaches a listener at: an IPv6 address goes in brackets
 * (`http://[::1]:8787`), and the wildcard addresses become loopback, which always answers.
 */
export function listenOrigin(host: string, port: number): string {
  if (host === "0.0.0.0" || host === "") return `http://127.0.0.1:${port}`;
  if (host === "::" || host === "[::]") return `http://[::1]:${port}`;
  return `http://${hostPort(host, port)}`;
}

/** An IPv6 address (with a zone, as fe80::1%eth0): the one kind of host a URL puts in brackets. */
const _IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[\w.-]+)?$/;

/** `host:port` as a person reads it, IPv6 in brackets. */
export function hostPort(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  return `${_IPV6.test(bare) ? `[${bare}]` : bare}:${port}`;
}

/**
 * What a failed listen means, in one line: Bun reports an address that is not this machine's as
 * EADDRNOTAVAIL, a name that does not resolve as ENOTFOUND, a taken port as "Is port N in use?".
 */
export function listenFailure(host: string, port: number, error: unknown): string {
  const where = `cannot listen on ${hostPort(host, port)}`;
  const code = (error as { code?: string }).code ?? "";
  const text = errorMessage(error);
  if (code === "EADDRINUSE" || /in use/i.test(text)) return `${where}: the port is in use (another serve?); pick another --port, or --port 0 for a free one`;
  if (code === "EADDRNOTAVAIL" || /EADDRNOTAVAIL|not available/i.test(text)) {
    return `${where}: no interface of this machine has that address; --host takes one of its addresses, 127.0.0.1, or 0.0.0.0 for all`;
  }
  // Bun reports a name it could not resolve as ENOTFOUND from getaddrinfo, or as ENOENT from listen.
  if (["ENOTFOUND", "EAI_NONAME", "ENOENT"].includes(code) || /ENOTFOUND|ENOENT|getaddrinfo/i.test(text)) {
    return `${where}: '${host}' is neither an IP address nor a name this machine resolves`;
  }
  if (code === "EACCES" || /EACCES|permission/i.test(text)) return `${where}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)`;
  if (code === "EINVAL" || /EINVAL/.test(text)) return `${where}: the system refuses that address (a link-local IPv6 address needs its interface, as fe80::1%eth0)`;
  if (!/^[\w.:%[\]-]+$/.test(host)) return `${where}: '${host}' is not an IP address or a host name (e.g. 127.0.0.1, ::1, 0.0.0.0)`;
  return `${where}: ${text}`;
}
