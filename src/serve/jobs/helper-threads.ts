import type { HelperThreads } from "../../helper-threads.ts";
import type { Job } from "./schedule.ts";

/**
 * Keeps the runtime's helper threads (src/helper-threads.ts) below the thread that answers
 * requests: at start, and every second for the helpers started since (the JIT's second
 * compiler and the collector's helpers appear with the first load). A turn reads /proc/self/task
 * and the names of the few threads that are not helpers: tens of microseconds.
 */
export function helperThreadsJob(helpers: HelperThreads): Job {
  return { name: "helper-threads", everyMs: 1_000, atStart: true, run: () => void helpers.lower() };
}
