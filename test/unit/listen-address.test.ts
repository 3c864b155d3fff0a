// serve's addresses as URLs, and a failed listen as one line (issue 15 §3).
import { describe, expect, test } from "bun:test";
import { hostPort, listenFailure, listenOrigin } from "../../src/serve/listen-address.ts";

describe("listenOrigin", () => {
  test.each([
    ["127.0.0.1", "http://127.0.0.1:8787"],
    ["0.0.0.0", "http://127.0.0.1:8787"],
    ["::", "http://[::1]:8787"],
    ["::1", "http://[::1]:8787"],
    ["[::1]", "http://[::1]:8787"],
    ["fe80::1%eth0", "http://[fe80::1%eth0]:8787"],
    ["gateway.lan", "http://gateway.lan:8787"],
  ])("%s → %s", (host, origin) => expect(listenOrigin(host, 8787)).toBe(origin));

  test("a URL made from an IPv6 origin parses", () => expect(new URL(`${listenOrigin("::1", 8787)}/`).host).toBe("[::1]:8787"));
  test("only an IPv6 address gets brackets", () => expect(hostPort("http://x", 1)).toBe("http://x:1"));
});

describe("listenFailure", () => {
  const error = (code: string, message: string) => Object.assign(new Error(message), { code });
  test.each([
    [error("EADDRINUSE", "Failed to start server. Is port 8787 in use?"), "127.0.0.1", "cannot listen on 127.0.0.1:8787: the port is in use (another serve?); pick another --port, or --port 0 for a free one"],
    [new Error("Failed to start server. Is port 8787 in use?"), "127.0.0.1", "cannot listen on 127.0.0.1:8787: the port is in use (another serve?); pick another --port, or --port 0 for a free one"],
    [error("EADDRNOTAVAIL", "EADDRNOTAVAIL: address not available, listen"), "10.255.255.1", "cannot listen on 10.255.255.1:8787: no interface of this machine has that address; --host takes one of its addresses, 127.0.0.1, or 0.0.0.0 for all"],
    [error("ENOENT", "ENOENT: no such file or directory, listen"), "foo.invalid", "cannot listen on foo.invalid:8787: 'foo.invalid' is neither an IP address nor a name this machine resolves"],
    [error("ENOTFOUND", "getaddrinfo ENOTFOUND x y"), "x y", "cannot listen on x y:8787: 'x y' is neither an IP address nor a name this machine resolves"],
    [error("EACCES", "EACCES: permission denied, listen"), "127.0.0.1", "cannot listen on 127.0.0.1:8787: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"],
    [error("EINVAL", "EINVAL: invalid argument, listen"), "fe80::1", "cannot listen on [fe80::1]:8787: the system refuses that address (a link-local IPv6 address needs its interface, as fe80::1%eth0)"],
    [new Error("baseURI must have a hostname"), "/tmp/sock", "cannot listen on /tmp/sock:8787: '/tmp/sock' is not an IP address or a host name (e.g. 127.0.0.1, ::1, 0.0.0.0)"],
  ])("%#", (err, host, line) => expect(listenFailure(host, 8787, err)).toBe(line));
});
