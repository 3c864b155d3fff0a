import type { CompilerThreads } from "../../jit-threads.ts";
import type { Job } from "./schedule.ts";

/**
 * Keeps the JIT's compiler threads (src/jit-threads.ts) below the thread that answers requests:
 * at start, and every second for those started since (the second appears with the first load).
 * A turn reads /proc/self/task and the names of the few threads not yet lowered: tens of
 * microseconds.
 */
export function jitThreadsJob(compilers: CompilerThreads): Job {
  return { name: "jit-threads", everyMs: 1_000, atStart: true, run: () => void compilers.lower() };
}
