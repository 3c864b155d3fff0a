import type { Job } from "./schedule.ts";

/**
 * A full garbage collection once the requests stop: a burst of ingest leaves tens of megabytes of
 * garbage that the collector, with nothing new to allocate, would otherwise keep for minutes. Then
 * JavaScriptCore is asked to hand its emptied blocks back (Bun.shrink, deprecated in the types but
 * the only call that does it): after a week's load of 1,000 devices that is 6–8 MiB of RSS. What
 * stays is fragmentation: the collector does not move objects, so a heap grown to ~140 MB under
 * load keeps ~40 MB of blocks for ~11 MB of live cells.
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
        Bun.shrink();
        collectedAt = count;
      }
      seen = count;
    },
  };
}
