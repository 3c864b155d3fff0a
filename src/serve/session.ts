// Dashboard sessions: an HttpOnly, SameSite=Strict cookie naming a session kept in serve's memory
// (a restart logs everyone out; `bagtower serve key` prints a fresh login link).
import type { Grant } from "./access.ts";

export const SESSION_COOKIE = "bagtower_session";
/** A session ends this long after its last request … */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** … and at the latest this long after the login. */
export const SESSION_MAX_MS = 7 * 86400_000;
/** Sessions kept at most (the oldest go first): the read token can make any number of them. */
const _MAX_SESSIONS = 1000;

interface Session {
  right: NonNullable<Grant["right"]>;
  created: number;
  used: number;
}

export function createSessions(now: () => number, randomBytes: (size: number) => Uint8Array) {
  const sessions = new Map<string, Session>();
  return {
    create(right: Session["right"]): string {
      const id = Buffer.from(randomBytes(24)).toString("base64url");
      if (sessions.size >= _MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
      sessions.set(id, { right, created: now(), used: now() });
      return id;
    },
    /** The session's right, or undefined for an unknown or ended one. */
    rightOf(id: string | undefined): Session["right"] | undefined {
      if (!id) return undefined;
      const session = sessions.get(id);
      if (!session) return undefined;
      const t = now();
      if (t - session.used > SESSION_IDLE_MS || t - session.created > SESSION_MAX_MS) {
        sessions.delete(id);
        return undefined;
      }
      session.used = t;
      return session.right;
    },
    end(id: string | undefined): void {
      if (id) sessions.delete(id);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

/** The session id from a Cookie header. */
export function sessionCookie(request: Request): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim() || undefined;
  }
  return undefined;
}

/** Set-Cookie for a new session; `secure` when the browser reached us over https. */
export function setSessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_MS / 1000}${secure ? "; Secure" : ""}`;
}
