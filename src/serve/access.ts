import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../atomic-file.ts";
import type { Context } from "../context.ts";
import { ConfigError } from "../errors.ts";

/** The three secrets of a receiver, kept in the home with mode 0600 (SPEC §9 Access). */
export interface Keys {
  /** Devices send it with every record (x-api-key and the protocols' own headers). */
  ingest: string;
  /** Reads the dashboard, the fleet API, /ws and /metrics from other hosts. */
  read: string;
  /** Changes things: PATCH a device (later rules, channels, keys); also reads. */
  admin: string;
  /** Where the ingest key comes from, for the start-up message. */
  source: "flag" | "file" | "env" | "generated";
}

/**
 * The right a route needs, declared in the route table:
 * - `open`: nothing (health checks, pattoo's status probe);
 * - `page`: nothing, but a browser's page (the dashboard, the login): the Host must be ours;
 * - `ingest`: the ingest key, which the handler finds where its protocol carries it;
 * - `read`: a read or admin token or session, or a direct loopback client, or --public-read;
 * - `admin`: an admin token or session, never implied by loopback or --public-read;
 * - `token`: a secret in the path is the credential (a heartbeat check's ping URL), which the
 *   handler looks up; a wrong one is a 404 counted as a failed authentication.
 */
export type Right = "open" | "page" | "ingest" | "read" | "admin" | "token";

/** What a request holds: the highest right it proved, and how. */
export interface Grant {
  right: "admin" | "read" | null;
  via: "token" | "session" | "loopback" | "public" | null;
}

/** An ingest key shorter than this is refused at start: it could be guessed. */
export const MIN_KEY_LENGTH = 16;

export const keyFiles = (ctx: Context) => ({
  ingest: ctx.paths.serveKey,
  read: ctx.paths.serveReadToken,
  admin: ctx.paths.serveAdminToken,
});

function _random(ctx: Context): string {
  return Buffer.from(ctx.randomBytes(24)).toString("base64url");
}

function _stored(ctx: Context, path: string, rotate: boolean): { value: string; generated: boolean } {
  if (!rotate && existsSync(path)) {
    const value = readFileSync(path, "utf8").trim();
    if (value.length >= MIN_KEY_LENGTH) return { value, generated: false };
  }
  const value = _random(ctx);
  writeFileAtomic(path, `${value}\n`, { mode: 0o600 });
  return { value, generated: true };
}

/** The keys: the ingest key as given (flag, file or environment), else the stored or a new one. */
export function loadKeys(ctx: Context, given?: { key: string; source: "flag" | "file" | "env" }, rotate = false): Keys {
  const files = keyFiles(ctx);
  const read = _stored(ctx, files.read, rotate).value;
  const admin = _stored(ctx, files.admin, rotate).value;
  if (given) return { ingest: given.key, read, admin, source: given.source };
  // A key someone wrote into the file by hand is theirs: too short is an error, not replaced behind their back.
  const written = !rotate && existsSync(files.ingest) ? readFileSync(files.ingest, "utf8").trim() : "";
  if (written && written.length < MIN_KEY_LENGTH) {
    throw new ConfigError(`${files.ingest}: the ingest key has ${written.length} characters, at least ${MIN_KEY_LENGTH} are needed (delete the file and serve generates one)`);
  }
  const ingest = _stored(ctx, files.ingest, rotate);
  return { ingest: ingest.value, read, admin, source: ingest.generated ? "generated" : "file" };
}

/**
 * Whether a presented secret is this one, in time that does not depend on where they differ (only
 * on the length, which a key's owner chose). Every ingest request asks it: two Buffers and
 * timingSafeEqual cost ten times this loop.
 */
export function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function isLoopback(address: string | null | undefined): boolean {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/**
 * A loopback peer counts as local only when it connected directly: a request relayed by a proxy on
 * the same host carries one of these headers, and the proxy would otherwise turn the internet into
 * localhost. The headers are never believed for the address itself.
 */
export function isDirectLoopback(request: Request, address: string | null | undefined): boolean {
  return isLoopback(address) && !request.headers.has("forwarded") && !request.headers.has("x-forwarded-for") && !request.headers.has("x-real-ip");
}

/** A token the request presents itself: `Authorization: Bearer <token>`, else `?token=` (WebSocket clients cannot set headers). */
export function presentedToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  const bearer = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return bearer;
  return new URL(request.url).searchParams.get("token") || undefined;
}

/** The right a token carries, or null when it is none of this receiver's (the ingest key reads nothing). */
export function rightOfToken(token: string, keys: Keys): Grant["right"] {
  if (sameSecret(token, keys.admin)) return "admin";
  if (sameSecret(token, keys.read)) return "read";
  return null;
}

/** Whether a grant satisfies a route's right (`open`, `page` and `ingest` are checked elsewhere). */
export function satisfies(grant: Grant, right: "read" | "admin"): boolean {
  return right === "read" ? grant.right !== null : grant.right === "admin";
}
