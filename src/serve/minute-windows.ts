/**
 * Counts per client in fixed one-minute windows: cheap (one map entry per client), and enough to
 * stop a runaway loop or a guesser. The ingest rate limit and the failed-authentication limit both
 * count this way. Past `maxClients` entries the map starts over rather than grow without bound.
 */
export function createMinuteWindows(now: () => number, maxClients = 100_000) {
  const windows = new Map<string, { minute: number; count: number }>();
  const minute = () => Math.floor(now() / 60_000);
  return {
    /** This minute's count for the client. */
    count(client: string): number {
      const w = windows.get(client);
      return w && w.minute === minute() ? w.count : 0;
    },
    /** Counts one more for the client; returns this minute's count. */
    add(client: string): number {
      const m = minute();
      let w = windows.get(client);
      if (!w || w.minute !== m) {
        if (windows.size > maxClients) windows.clear();
        w = { minute: m, count: 0 };
        windows.set(client, w);
      }
      return ++w.count;
    },
    /** Seconds until this window ends, for Retry-After. */
    retryAfterS(): number {
      return 60 - Math.floor((now() / 1000) % 60);
    },
  };
}
