import { HttpError } from "./http-errors.ts";
import { createMinuteWindows } from "./minute-windows.ts";

/** Failed authentications one address may make in a minute before every credential it sends is refused. */
export const AUTH_FAILURES_PER_MINUTE = 20;

/**
 * Failed authentications (a wrong or missing key or token, a bad login link) per client address,
 * in a fixed one-minute window. Over the limit, the address's next attempts are refused with 429
 * until the minute ends, right ones too: otherwise a guess that hits would still get in. `perMinute`
 * 0 turns it off (the hostile-input corpus, which must reach the parsers).
 */
export function createAuthFailures(perMinute: number, now: () => number) {
  const windows = createMinuteWindows(now);
  return {
    /** Throws 429 while the address is over the limit. */
    check(address: string | null): void {
      if (perMinute === 0 || windows.count(address ?? "") < perMinute) return;
      const retry = windows.retryAfterS();
      throw new HttpError(429, `more than ${perMinute} failed authentications this minute from ${address ?? "this client"}; retry in ${retry} s`, { "Retry-After": String(retry) });
    },
    record(address: string | null): void {
      windows.add(address ?? "");
    },
  };
}

export type AuthFailures = ReturnType<typeof createAuthFailures>;
