// The dashboard's login link (the way Jupyter prints one): `/?login=<token>` with a token that is
// signed with the admin token, expires, and is accepted once. Signed rather than stored, so that
// `bagtower serve key`, a separate process, can print a link the running serve accepts.
import { createHmac } from "node:crypto";
import { sameSecret } from "./access.ts";

/** How long a login link works after it was made. */
export const LOGIN_TOKEN_TTL_MS = 3600_000;

function _signature(adminToken: string, expires: string, nonce: string): string {
  return createHmac("sha256", adminToken).update(`bagtower-login\0${expires}\0${nonce}`).digest("base64url");
}

/** `<expiry, unix seconds>.<nonce>.<signature>`, for an admin session. */
export function mintLoginToken(adminToken: string, nowMs: number, randomBytes: (size: number) => Uint8Array): string {
  const expires = String(Math.floor((nowMs + LOGIN_TOKEN_TTL_MS) / 1000));
  const nonce = Buffer.from(randomBytes(12)).toString("base64url");
  return `${expires}.${nonce}.${_signature(adminToken, expires, nonce)}`;
}

/** Checks login tokens and remembers the used ones until they expire, so each works once. */
export function createLoginVerifier(adminToken: string, now: () => number) {
  const used = new Map<string, number>();
  return (token: string): "ok" | "invalid" | "expired" | "used" => {
    const match = /^(\d{1,12})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return "invalid";
    const [, expires, nonce, signature] = match as unknown as [string, string, string, string];
    if (!sameSecret(signature, _signature(adminToken, expires, nonce))) return "invalid";
    const expiresMs = Number(expires) * 1000;
    const nowMs = now();
    if (expiresMs <= nowMs) return "expired";
    for (const [n, at] of used) if (at <= nowMs) used.delete(n);
    if (used.has(nonce)) return "used";
    used.set(nonce, expiresMs);
    return "ok";
  };
}
