/**
 * JavaScriptCore options a long-running `serve` wants that only the environment can set: the
 * runtime reads `BUN_JSC_*` before the first line of JavaScript runs, and a compiled executable has
 * no flag for them. `serve` started as a process (not in-process by a test) executes itself again
 * once with them set: execve keeps the process id, and nothing is open or written yet.
 *
 * useWarmUpMarkedBlocks=0: JavaScriptCore otherwise starts a thread (JSCWarmUp) that keeps 32 heap
 * blocks ready with their pages touched, while mimalloc's scavenger hands pages back: 3–4 % of a core
 * each under steady ingest. Without it, single pushes ran at 14,531 / 14,098 / 14,385 per second
 * against 12,458 / 13,466 / 13,466 in three interleaved pairs (docs/PERFORMANCE.md).
 */
const SERVE_RUNTIME_ENV: Readonly<Record<string, string>> = { BUN_JSC_useWarmUpMarkedBlocks: "0" };

/** The command line that runs this program again: the executable, then the script when run from source. */
export function ownCommandLine(argv: readonly string[], execArgv: readonly string[], main: string, execPath: string): string[] {
  // A compiled executable's argv[1] is its embedded entry point ("/$bunfs/root/…"), not an argument.
  const compiled = main.startsWith("/$bunfs/");
  return compiled ? [execPath, ...argv.slice(2)] : [execPath, ...execArgv, ...argv.slice(1)];
}

/**
 * Executes this process again with SERVE_RUNTIME_ENV, unless every one of them is set already (by
 * the first execution, or by the user: their value wins). Returns only when nothing was done or the
 * runtime cannot execve; then serve simply runs with the runtime's defaults.
 */
export function reexecWithServeOptions(env: NodeJS.ProcessEnv = process.env): void {
  if (Object.keys(SERVE_RUNTIME_ENV).every((name) => env[name] !== undefined)) return;
  if (typeof process.execve !== "function") return;
  const args = ownCommandLine(process.argv, process.execArgv, Bun.main, process.execPath);
  try {
    process.execve(process.execPath, args, { ...SERVE_RUNTIME_ENV, ...env });
  } catch {
    // An execve that failed left this process as it was.
  }
}
