// What a browser must not be tricked into: DNS rebinding (a page of evil.example whose name now
// points at this server reads it as if it were local) and cross-site requests (a page elsewhere
// posting to it with the user's cookie). Devices and scripts send no Origin and a token of their own.
import { isIP } from "node:net";
import { UsageError } from "../errors.ts";
import { HttpError } from "./http-errors.ts";

/** Headers on every answer: no inline script or style, no framing, no type sniffing, no referrer. */
export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** `--public-url`: an origin only (the dashboard's paths are absolute, so no sub-path). */
export function parsePublicUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--public-url ${text}: expected a URL such as https://bagtower.example.org`);
  }
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash || url.pathname !== "/") {
    throw new UsageError(`--public-url ${text}: expected http(s)://HOST[:PORT] with no path, query or credentials (e.g. https://bagtower.example.org)`);
  }
  return url;
}

/** The host name of a Host header value (`[::1]:8787` → `::1`, `Example.org.:80` → `example.org`). */
export function hostName(host: string): string {
  const lower = host.trim().toLowerCase();
  const name = lower.startsWith("[") ? lower.slice(1, lower.indexOf("]")) : lower.replace(/:\d*$/, "");
  return name.replace(/\.$/, "");
}

export interface SameOrigin {
  /** Host names besides IP literals and localhost under which browsers may reach us (--public-url). */
  hosts: Set<string>;
  /** Origins besides the request's own Host (--public-url, for a proxy that rewrites Host). */
  origins: Set<string>;
}

export function sameOrigin(publicUrl: URL | undefined): SameOrigin {
  return { hosts: new Set(publicUrl ? [hostName(publicUrl.host)] : []), origins: new Set(publicUrl ? [publicUrl.origin] : []) };
}

/** The Host must be an IP literal, localhost or a --public-url name: any other name may be rebound. */
export function checkHost(request: Request, allowed: SameOrigin): void {
  const host = request.headers.get("host");
  if (!host) throw new HttpError(400, "Host: required");
  const name = hostName(host);
  if (isIP(name) !== 0 || name === "localhost" || allowed.hosts.has(name)) return;
  throw new HttpError(403, `Host ${host.slice(0, 100)} is not a name of this server: open it by IP address or localhost, or start serve with --public-url http://${host.slice(0, 100)}`);
}

/** A browser names the page that sent a request: it must be this server's own. Absent (devices, curl) is fine. */
export function checkOrigin(request: Request, allowed: SameOrigin): void {
  const origin = request.headers.get("origin");
  if (origin === null) return;
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (url && url.origin !== "null" && (url.host === _asHost(url.protocol, request.headers.get("host")) || allowed.origins.has(url.origin))) return;
  throw new HttpError(403, `Origin ${origin.slice(0, 100)} is not this server: a page of another site cannot change things here (behind a proxy, start serve with --public-url)`);
}

/** A Host header as URL.host spells it for this scheme (lower case, default port dropped). */
function _asHost(protocol: string, host: string | null): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return undefined;
  }
}
