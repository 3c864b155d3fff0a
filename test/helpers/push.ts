import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/main.ts";
import { FIXTURES, fixtureStatfs, manualClock, testContext, type TestContext } from "./context.ts";

/** A home whose config.json collects from the pi4 fixture and pushes to `url`, with a hand-moved clock. */
export function pushHome(sink: Record<string, unknown>, extra: Record<string, unknown> = {}, startMs = Date.UTC(2026, 10, 22, 12, 0, 0)) {
  const clock = manualClock(startMs);
  const sleeps: number[] = [];
  const t: TestContext = testContext({
    now: clock.now,
    statfs: fixtureStatfs(join(FIXTURES, "pi4")),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
  });
  const config = {
    collect: { rootfs: join(FIXTURES, "pi4") },
    sinks: [{ name: "default", format: "bagtower", apiKey: "key-1", ...sink }],
    http: { timeoutMs: 300, retries: 2, compress: true },
    ...extra,
  };
  mkdirSync(join(t.home, "state"), { recursive: true });
  writeFileSync(join(t.home, "config.json"), JSON.stringify(config));
  // The previous run's CPU sample, so no run waits for a CPU sample (only retries and locks sleep).
  const sample = JSON.parse(readFileSync(join(FIXTURES, "pi4", "cpu-sample.json"), "utf8"));
  writeFileSync(join(t.home, "state", "cpu-sample.json"), JSON.stringify({ ...sample, ms: clock.now() - 600_000 }));
  return {
    ...t,
    clock,
    sleeps,
    spool: (sink = "default") => join(t.home, "spool", sink),
    /** One CLI run in-process; the clock moves a minute after it, as between cron runs. */
    run: async (...argv: string[]) => {
      const code = await runCli(argv, { overrides: t.ctx });
      clock.advance(60_000);
      return code;
    },
  };
}
