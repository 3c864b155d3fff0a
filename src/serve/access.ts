import { timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../atomic-file.ts";
import type { Context } from "../context.ts";
import { HttpError } from "./http-errors.ts";

/** The ingest key (x-api-key) and the read token, kept in the home with mode 0600. */
export interface Keys {
  ingest: string;
  read: string;
  /** Where the ingest key comes from, for the start-up message. */
  source: "flag" | "file" | "generated";
}

export const keyFiles = (ctx: Context) => ({ ingest: join(ctx.paths.home, "serve-key"), read: join(ctx.paths.home, "serve-read-token") });

function _random(ctx: Context): string {
  return Buffer.from(ctx.randomBytes(24)).toString("base64url");
}

function _stored(ctx: Context, path: string, rotate: boolean): { value: string; generated: boolean } {
  if (!rotate && existsSync(path)) {
    const value = readFileSync(path, "utf8").trim();
    if (value.length >= 16) return { value, generated: false };
  }
  const value = _random(ctx);
  writeFileAtomic(path, `${value}\n`, { mode: 0o600 });
  return { value, generated: true };
}

export function loadKeys(ctx: Context, given: string | undefined, rotate = false): Keys {
  const files = keyFiles(ctx);
  const read = _stored(ctx, files.read, rotate).value;
  if (given) return { ingest: given, read, source: "flag" };
  const ingest = _stored(ctx, files.ingest, rotate);
  return { ingest: ingest.value, read, source: ingest.generated ? "generated" : "file" };
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/** Reads are open on loopback; elsewhere they need the read token (or the ingest key) unless public. */
export function checkRead(request: Request, address: string | undefined, keys: Keys, publicRead: boolean): void {
  if (publicRead || isLoopback(address)) return;
  const header = request.headers.get("authorization");
  const token = header?.startsWith("Bearer ") ? header.slice(7) : new URL(request.url).searchParams.get("token");
  if (token && (sameSecret(token, keys.read) || sameSecret(token, keys.ingest))) return;
  throw new HttpError(401, "reading needs the read token: Authorization: Bearer <token> or ?token=<token> (bagtower serve key shows it)");
}
