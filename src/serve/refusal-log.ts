import type { Logger } from "../log.ts";

/** One line per address and reason at most this often; the ones in between are counted. */
export const REFUSAL_LOG_EVERY_MS = 60_000;

/**
 * Refused ingest attempts in serve's log, so that a fleet with a wrong key shows up on the server
 * too: one line per address and reason a minute, with the count of those not logged since.
 */
export function createRefusalLog(log: Logger, now: () => number) {
  const seen = new Map<string, { loggedAt: number; suppressed: number }>();
  return (address: string | null, reason: string, where: string): void => {
    const key = `${address ?? ""} ${reason}`;
    const entry = seen.get(key);
    const t = now();
    if (entry && t - entry.loggedAt < REFUSAL_LOG_EVERY_MS) {
      entry.suppressed++;
      return;
    }
    const more = entry?.suppressed ? ` (${entry.suppressed} more like it since the last line)` : "";
    log.warn(`refused ingest from ${address ?? "an unknown address"}: ${reason} (${where})${more}`);
    if (seen.size > 10_000) seen.clear();
    seen.set(key, { loggedAt: t, suppressed: 0 });
  };
}
