import type { Bucket } from "./rollup.ts";

/**
 * Step-wide buckets already computed from one sealed row (a frozen rollup block, or a raw chunk
 * rolled up), kept so the dashboard's next look at the same range decodes nothing: a year's graph
 * of a device is ~400 such rows, and decoding them is most of the answer's time. A row is known by
 * its series, start and byte length (a block grows by appending, so its length changes); the
 * chunk store also drops a series' entries whenever it writes that series, so a row rewritten in
 * place is never answered from the cache. Bounded by buckets, least recently used out first.
 */
export function createStepCache(maxBuckets: number) {
  const entries = new Map<string, { sid: number; buckets: Bucket[] }>();
  const bySid = new Map<number, Set<string>>();
  let held = 0;

  function _forget(key: string): void {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    held -= entry.buckets.length;
    const keys = bySid.get(entry.sid);
    keys?.delete(key);
    if (keys?.size === 0) bySid.delete(entry.sid);
  }

  return {
    key: (sid: number, kind: "raw" | number, startTs: number, bytes: number, stepS: number) => `${sid}:${kind}:${startTs}:${bytes}:${stepS}`,

    get(key: string): Bucket[] | undefined {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      // Map order is insertion order: moving a hit to the end keeps the oldest use first.
      entries.delete(key);
      entries.set(key, entry);
      return entry.buckets;
    },

    set(sid: number, key: string, buckets: Bucket[]): void {
      if (buckets.length > maxBuckets) return;
      _forget(key);
      entries.set(key, { sid, buckets });
      held += buckets.length;
      let keys = bySid.get(sid);
      if (keys === undefined) bySid.set(sid, (keys = new Set()));
      keys.add(key);
      for (const oldest of entries.keys()) {
        if (held <= maxBuckets) break;
        _forget(oldest);
      }
    },

    /** Every entry of a series: its rows are being rewritten. */
    dropSid(sid: number): void {
      const keys = bySid.get(sid);
      if (keys === undefined) return;
      for (const key of [...keys]) _forget(key);
    },

    get size() {
      return { entries: entries.size, buckets: held };
    },
  };
}

export type StepCache = ReturnType<typeof createStepCache>;
