import { dlopen } from "bun:ffi";
import { readdirSync, readFileSync } from "node:fs";

/**
 * The runtime's compute helpers, by thread name (/proc/self/task/<tid>/comm): JavaScriptCore's JIT
 * compilers and collector helpers, its block warm-up, and mimalloc's page scavenger. They work for
 * the main thread, never on its behalf while a request waits: a compile or a marking slice can wait
 * for an idle moment. The I/O threads (Bun's pool, which runs the WAL's fsync; the HTTP client of
 * forwarding and alerts) are not among them: a request waits for those.
 */
const _HELPER = /^(JITWorker|HeapHelper|JSCWarmUp|mi-scavenger|JSC Heap|Heap Collector)/;
/** The weakest nice value: a helper then gets ~1.5 % of a core the main thread also wants, all of an idle one. */
const HELPER_NICE = 19;
const _PRIO_PROCESS = 0;

export interface HelperThreads {
  /** Lowers the priority of the helper threads started since the last call; returns how many. */
  lower(): number;
}

/**
 * serve answers every request on its main thread. On a machine with one core (a small VM, or
 * bench/serve.ts's pinned server) the helpers took ~35 % of the CPU under load and, with the
 * scheduler's time slices of a few milliseconds, every slice they took was added to the latency of
 * the requests waiting: p99 at 4,200 pushes/s went from 30-60 ms to ~15 ms with them at nice 19
 * (docs/PERFORMANCE.md), with no loss of throughput. Linux keeps a nice value per thread, and
 * setpriority(PRIO_PROCESS, tid) sets it; raising one's own nice value needs no privilege. Where
 * that is not available (no glibc, not Linux), nothing changes and `lower` returns 0.
 */
export function helperThreads(taskDir = "/proc/self/task"): HelperThreads {
  let setpriority: ((which: number, who: number, prio: number) => number) | undefined;
  try {
    const libc = dlopen("libc.so.6", { setpriority: { args: ["i32", "u32", "i32"], returns: "i32" } });
    setpriority = libc.symbols.setpriority;
  } catch {
    setpriority = undefined;
  }
  const seen = new Set<number>();
  return {
    lower() {
      if (!setpriority) return 0;
      let tids: string[];
      try {
        tids = readdirSync(taskDir);
      } catch {
        return 0;
      }
      let lowered = 0;
      for (const entry of tids) {
        const tid = Number(entry);
        if (tid === process.pid || seen.has(tid)) continue;
        let name: string;
        try {
          name = readFileSync(`${taskDir}/${entry}/comm`, "utf8");
        } catch {
          continue; // the thread ended
        }
        // Others are read again next time: a thread is named by itself, just after it starts.
        if (!_HELPER.test(name)) continue;
        seen.add(tid);
        if (setpriority(_PRIO_PROCESS, tid, HELPER_NICE) === 0) lowered++;
      }
      return lowered;
    },
  };
}
