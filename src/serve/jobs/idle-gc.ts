import type { Job } from "./schedule.ts";

/**
 * Heap left unused that makes the store compact its caches: a heap holding this much more than its
 * live cells, and twice as much, is fragmented (a week's load of 1,000 devices leaves ~42 MiB).
 */
const _FRAGMENTED_BYTES = 16 * 2 ** 20;

/**
 * A full garbage collection once the requests stop: a burst of ingest leaves tens of megabytes of
 * garbage that the collector, with nothing new to allocate, would otherwise keep for minutes. The
 * collector does not move objects, so the store's per-device caches, allocated among the garbage of
 * the requests that made them, keep most of the blocks the heap grew to under load (~54 MiB of
 * blocks for ~12 MiB of live cells after a week's load of 1,000 devices): when the heap is that
 * fragmented, the store lets go of its caches and rebuilds its head state after a second collection
 * (store.compactMemory), and the blocks empty. Then JavaScriptCore is asked to hand its emptied
 * blocks back (Bun.shrink, deprecated in the types but the only call that does it).
 * docs/PERFORMANCE.md "Idle memory" has the figures.
 */
export function idleGcJob(
  handled: () => number,
  compactMemory: (collect: () => void) => boolean,
  heap: () => { heapUsed: number; heapTotal: number } = () => process.memoryUsage(),
  collect: () => void = () => Bun.gc(true),
): Job {
  let seen = 0;
  let collectedAt = 0;
  // A compaction refused (a seal was under way) is tried again the next quiet second.
  let compactLater = false;
  return {
    name: "idle-gc",
    everyMs: 1000,
    run() {
      const count = handled();
      const quiet = count === seen;
      seen = count;
      if (!quiet || (count === collectedAt && !compactLater)) return;
      if (!compactLater) collect();
      const { heapUsed, heapTotal } = heap();
      const fragmented = heapTotal - heapUsed >= _FRAGMENTED_BYTES && heapTotal >= 2 * heapUsed;
      compactLater = fragmented && !compactMemory(collect);
      Bun.shrink();
      collectedAt = count;
    },
  };
}
