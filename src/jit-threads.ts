import { dlopen } from "bun:ffi";
import { readdirSync, readFileSync } from "node:fs";

/** JavaScriptCore's compiler threads, by name (/proc/self/task/<tid>/comm). */
const _COMPILER = /^JITWorker/;
/** The weakest nice value: a compiler thread then gets ~1.5 % of a core the main thread also wants, all of an idle one. */
export const COMPILER_NICE = 19;
const _PRIO_PROCESS = 0;

export interface CompilerThreads {
  /** Lowers the priority of the compiler threads started since the last call; returns how many. */
  lower(): number;
}

/**
 * serve answers every request on its main thread, and the JIT compiles its hot code on threads of
 * its own. On a machine with one core (a small VM, or bench/serve.ts's pinned server) the
 * compilers took ~10 % of the CPU under load in slices of milliseconds, and every slice was added
 * to the latency of the requests waiting; a compile can as well wait for an idle moment. With them
 * at nice 19, p99 at 4,200 pushes/s went from 20-48 ms to 11-19 ms (docs/PERFORMANCE.md), with no
 * loss of throughput. The collector's helpers and mimalloc's scavenger stay as they are: lowered
 * too, they freed memory later and the peak RSS of a week's load rose by ~20 MB. Linux keeps a
 * nice value per thread and setpriority(PRIO_PROCESS, tid) sets it; raising one's own nice value
 * needs no privilege. Where that is not available (no glibc, not Linux) nothing changes and
 * `lower` returns 0.
 */
export function compilerThreads(taskDir = "/proc/self/task"): CompilerThreads {
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
        if (!_COMPILER.test(name)) continue;
        seen.add(tid);
        if (setpriority(_PRIO_PROCESS, tid, COMPILER_NICE) === 0) lowered++;
      }
      return lowered;
    },
  };
}
