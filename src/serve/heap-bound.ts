import { fullGC, heapSize } from "bun:jsc";

/** A request with at least this many records is a batch (an agent's spool, a backfill). */
export const BATCH_RECORDS = 50;
/** Heap growth since the last collection that makes a batch collect first. */
export const GROWTH_BYTES = 16 * 2 ** 20;
/** Collections at most this often: under a steady batch load, about one in ten requests. */
export const MIN_GAP_MS = 250;

/**
 * A full garbage collection before a batch is stored, once the heap has grown by GROWTH_BYTES
 * since the last one. Batches are what make the heap grow: each leaves megabytes of parsed records
 * behind, and on a machine with much RAM JavaScriptCore lets the heap reach several times its live
 * size before it collects everything, while the collector, which does not move objects, keeps the
 * blocks it grew to. A week of 1,000 devices loaded in batches of 500 peaked at 235–263 MiB RSS
 * without this and 169–189 MiB with it, at a rate within the machine's spread (docs/PERFORMANCE.md,
 * "Peak memory").
 * Single records never trigger it: a collection holds the event loop for 10–50 ms, which a batch
 * (tens of milliseconds of work itself) absorbs and a single push's latency would not.
 */
export function createHeapBound(size: () => number = heapSize, collect: () => void = fullGC, now: () => number = () => performance.now()) {
  let base = size();
  let lastMs = Number.NEGATIVE_INFINITY;
  return {
    /** Called with each request's records before they are stored. */
    beforeStore(records: number): void {
      if (records < BATCH_RECORDS) return;
      const bytes = size();
      if (bytes < base) base = bytes;
      if (bytes - base < GROWTH_BYTES || now() - lastMs < MIN_GAP_MS) return;
      collect();
      base = size();
      lastMs = now();
    },
  };
}
