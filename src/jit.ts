/**
 * The executable starts with JavaScriptCore's tier-up thresholds scaled up (`--compile-jit-policy`
 * in scripts/build.ts): a one-shot `collect` runs most of its code once, and compiling it on the
 * JIT threads cost ~15 % of its CPU time and ~4 MB of RSS for nothing. A command that keeps
 * running (serve, collect --watch) calls this, and from then on hot code is compiled as usual.
 */
export function runningLong(): void {
  Bun.unsafe.setJITPolicy(1);
}
