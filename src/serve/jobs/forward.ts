import type { createForwarder } from "../forward.ts";
import type { Job } from "./schedule.ts";

type Forwarder = ReturnType<typeof createForwarder>;

/** Tries the forward targets again, for one that was down (the forwarder coalesces its turns). */
export function forwardJob(forwarder: Forwarder): Job {
  return { name: "forward", everyMs: 2000, run: () => forwarder.tick() };
}

/** After a commit: forward soon, once for all the commits of the next 100 ms. */
export function forwardNudge(forwarder: Forwarder | undefined): () => void {
  let nudged = false;
  return () => {
    if (!forwarder || nudged) return;
    nudged = true;
    setTimeout(() => {
      nudged = false;
      void forwarder.tick();
    }, 100);
  };
}
