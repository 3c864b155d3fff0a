import type { Job } from "./schedule.ts";

/**
 * A full garbage collection once the requests stop: a burst of ingest leaves tens of megabytes of
 * garbage that the collector, with nothing new to allocate, would otherwise keep for minutes.
 */
export function idleGcJob(handled: () => number): Job {
  let seen = 0;
  let collectedAt = 0;
  return {
    name: "idle-gc",
    everyMs: 1000,
    run() {
      const count = handled();
      if (count === seen && count !== collectedAt) {
        Bun.gc(true);
        collectedAt = count;
      }
      seen = count;
    },
  };
}
