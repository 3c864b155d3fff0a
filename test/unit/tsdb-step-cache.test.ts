import { describe, expect, test } from "bun:test";
import type { Bucket } from "../../src/serve/tsdb/rollup.ts";
import { createStepCache } from "../../src/serve/tsdb/step-cache.ts";

const buckets = (n: number, start = 0): Bucket[] => Array.from({ length: n }, (_, i) => ({ start: start + i * 60, min: i, max: i, sum: i, count: 1, last: i }));

describe("the graph's step cache", () => {
  test("holds at most its bound of buckets, dropping the least recently used row first", () => {
    const cache = createStepCache(100);
    const a = cache.key(1, 300, 0, 50, 600);
    const b = cache.key(1, 300, 3600, 50, 600);
    const c = cache.key(2, "raw", 0, 50, 600);
    cache.set(1, a, buckets(40));
    cache.set(1, b, buckets(40));
    expect(cache.get(a)).toHaveLength(40); // a is now the most recently used
    cache.set(2, c, buckets(40));
    expect(cache.size).toEqual({ entries: 2, buckets: 80 });
    expect(cache.get(b)).toBeUndefined();
    expect(cache.get(a)).toHaveLength(40);
    expect(cache.get(c)).toHaveLength(40);
  });

  test("a row larger than the bound is not kept, and setting a key again replaces it", () => {
    const cache = createStepCache(100);
    const key = cache.key(1, 3600, 0, 10, 3600);
    cache.set(1, key, buckets(101));
    expect(cache.size).toEqual({ entries: 0, buckets: 0 });
    cache.set(1, key, buckets(10));
    cache.set(1, key, buckets(20));
    expect(cache.size).toEqual({ entries: 1, buckets: 20 });
  });

  test("dropSid forgets every row of that series and only those", () => {
    const cache = createStepCache(1000);
    for (const [sid, start] of [[1, 0], [1, 3600], [2, 0]] as const) cache.set(sid, cache.key(sid, 300, start, 8, 600), buckets(5));
    cache.dropSid(1);
    expect(cache.size).toEqual({ entries: 1, buckets: 5 });
    expect(cache.get(cache.key(1, 300, 0, 8, 600))).toBeUndefined();
    expect(cache.get(cache.key(2, 300, 0, 8, 600))).toHaveLength(5);
    // An evicted row leaves no trace in its series' list: dropping it later is harmless.
    cache.dropSid(1);
    cache.dropSid(3);
    expect(cache.size.entries).toBe(1);
  });

  test("the key tells rows apart by series, tier, start, length and step", () => {
    const cache = createStepCache(1000);
    const keys = new Set([cache.key(1, 300, 0, 8, 600), cache.key(2, 300, 0, 8, 600), cache.key(1, 3600, 0, 8, 600), cache.key(1, "raw", 0, 8, 600), cache.key(1, 300, 60, 8, 600), cache.key(1, 300, 0, 9, 600), cache.key(1, 300, 0, 8, 1200)]);
    expect(keys.size).toBe(7);
  });
});
