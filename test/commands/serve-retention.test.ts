// serve's --retention per tier, config serve.retention and --dedup-window, through the real command:
// the serve that starts logs what it keeps; a bad value stops it with one line and its exit code.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/main.ts";
import { testContext } from "../helpers/context.ts";
import { waitFor } from "../helpers/wait.ts";

async function start(args: string[], config?: unknown) {
  const t = testContext();
  const stop = new AbortController();
  try {
    if (config !== undefined) writeFileSync(join(t.home, "config.json"), JSON.stringify(config));
    const running = runCli(["serve", "--port", "0", "--db", join(t.home, "serve.db"), ...args], { overrides: t.ctx, stop: stop.signal });
    let exited = false;
    void running.then(() => (exited = true));
    await waitFor("serve to start or exit", () => exited || t.logs.some((l) => l.includes("dashboard:")));
    stop.abort();
    const code = await running;
    return { code, logs: t.logs.join("\n"), errors: t.logs.filter((l) => l.includes("error")) };
  } finally {
    t.cleanup();
  }
}

describe("serve --retention and --dedup-window", () => {
  test("defaults: raw 30 days, 5-minute rollups 90 days, 1-hour rollups 2 years; ids 7 days", async () => {
    const { code, logs } = await start([]);
    expect(code).toBe(0);
    expect(logs).toContain("keeping raw=30d,5m=90d,1h=730d (raw samples, 5-minute and 1-hour rollups); record ids for 7d to refuse duplicates");
  });

  test("one duration is the raw tier's; per tier in any order; y is 365 days", async () => {
    expect((await start(["--retention", "7d"])).logs).toContain("keeping raw=7d,5m=90d,1h=730d");
    expect((await start(["--retention", "120d"])).logs).toContain("keeping raw=120d,5m=120d,1h=730d");
    expect((await start(["--retention", "1h=1y,raw=14d", "--dedup-window", "3d"])).logs).toContain("keeping raw=14d,5m=90d,1h=365d (raw samples, 5-minute and 1-hour rollups); record ids for 3d");
  });

  test("config serve.retention is the same text, and the flag overrides it", async () => {
    expect((await start([], { serve: { retention: "raw=10d,5m=60d" } })).logs).toContain("keeping raw=10d,5m=60d,1h=730d");
    expect((await start(["--retention", "20d"], { serve: { retention: "raw=10d" } })).logs).toContain("keeping raw=20d,5m=90d,1h=730d");
  });

  test.each([
    [["--retention", "raw=30d,5m=10d"], "--retention 5m=10d is shorter than raw=30d: a coarser tier must be kept at least as long"],
    [["--retention", "30days"], "--retention 30days: expected a duration such as 30d, 12h or 2y"],
    [["--retention", "raw=30d,10m=90d"], "--retention 10m=90d: expected a duration such as 30d, or per tier raw=30d,5m=90d,1h=2y"],
    [["--retention", "1h=60d"], "--retention 1h=60d is shorter than 5m=90d"],
    [["--dedup-window", "soon"], "--dedup-window soon: expected a duration such as 30s, 10m, 1h or 7d"],
  ])("%p: exit 2, one line naming the bad part", async (args, message) => {
    const { code, errors } = await start(args);
    expect(code).toBe(2);
    expect(errors).toEqual([expect.stringContaining(message)]);
  });

  test("a bad serve.retention in config.json: exit 78 naming the field", async () => {
    const { code, errors } = await start([], { serve: { retention: "raw=2y,1h=1y" } });
    expect(code).toBe(78);
    expect(errors).toEqual([expect.stringContaining("serve.retention")]);
    expect(errors[0]).toContain("1h=365d is shorter than 5m=730d");
  });
});
