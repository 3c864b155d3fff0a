// runCli in-process: the command tree, the error boundary and exit codes, with a captured stdout.
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ArgsDef } from "citty";
import { parseCommandArgs } from "../../src/argv.ts";
import { commandRunner } from "../../src/commands/_shared.ts";
import { runCli } from "../../src/main.ts";
import type { BagtowerRecord } from "../../src/record/schema.ts";
import { FIXTURES, fixtureStatfs, manualClock, testContext, type TestContext } from "../helpers/context.ts";

describe("runCli", () => {
  let t: TestContext;
  afterEach(() => t.cleanup());

  const run = (argv: string[], stop?: AbortSignal) => runCli(argv, { overrides: t.ctx, stop });

  test("collect writes one record to stdout and returns 0", async () => {
    t = testContext({ statfs: fixtureStatfs(join(FIXTURES, "pi4")) });
    expect(await run(["collect", "--root", join(FIXTURES, "pi4"), "--only", "memory"])).toBe(0);
    expect(t.out).toHaveLength(1);
    expect(JSON.parse(t.out[0]!).data).toEqual([{ id: "memory", type: "percent", val: 16.8 }]);
  });

  test("a command's run returns { exitCode, data }; a repeatable flag arrives as a list", async () => {
    t = testContext({ statfs: fixtureStatfs(join(FIXTURES, "pi4")) });
    const collect = (await import("../../src/commands/collect.ts")).default;
    const argv = ["--root", join(FIXTURES, "pi4"), "--only", "memory", "--set", "rpm=5400", "--set", "room=kitchen"];
    const { values } = parseCommandArgs("collect", collect.args as ArgsDef, argv);
    expect(values.set).toEqual(["rpm=5400", "room=kitchen"]);
    const result = await commandRunner(collect)!(values, { overrides: t.ctx });
    expect(result.exitCode).toBe(0);
    expect((result.data as BagtowerRecord).data).toEqual([
      { id: "memory", type: "percent", val: 16.8 },
      { id: "rpm", type: "number", val: 5400 },
      { id: "room", type: "string", val: "kitchen" },
    ]);
    expect(JSON.parse(t.out[0]!)).toEqual(result.data);
  });

  test("usage errors return 2 with one log line; config errors 78", async () => {
    t = testContext();
    expect(await run(["colect"])).toBe(2);
    expect(await run(["collect", "--format", "xml"])).toBe(2);
    writeFileSync(join(t.home, "config.json"), '{"collect": {"timeoutMs": 1}}');
    expect(await run(["collect"])).toBe(78);
    expect(t.out).toEqual([]);
    expect(t.logs).toEqual([
      "error: unknown command 'colect' for 'bagtower'. Did you mean collect? See 'bagtower --help'.\n",
      "error: --format xml: expected one of json, pretty, ndjson, pattoo, datadog, influx, prometheus, remote_write, telemetrics, mqtt.\n",
      `error: ${join(t.home, "config.json")}: collect.timeoutMs: expected a whole number ≥ 50, got 1\n`,
    ]);
  });

  test("a second word after a flag's value is named as such, not as a mystery command", async () => {
    t = testContext();
    expect(await run(["serve", "--forward", "influx", "http://127.0.0.1:8428"])).toBe(2);
    expect(t.logs).toEqual([
      "error: unknown command 'http://127.0.0.1:8428' for 'bagtower serve' (--forward takes one value, here 'influx'). See 'bagtower serve --help'.\n",
    ]);
  });

  test("global flags may come before the command", async () => {
    t = testContext();
    expect(await run(["--quiet", "--home", t.home, "id", "--json"])).toBe(0);
    expect(JSON.parse(t.out[0]!).machineId).toMatch(/^[0-9a-f]{32}$/);
  });

  test("--watch prints one record per interval until stopped", async () => {
    const clock = manualClock(1_795_000_000_000);
    const stop = new AbortController();
    let sleeps = 0;
    t = testContext({
      now: clock.now,
      statfs: fixtureStatfs(join(FIXTURES, "pi4")),
      sleep: async (ms) => {
        clock.advance(ms);
        // Stop after a few records, as Ctrl-C would.
        if (++sleeps === 25) stop.abort();
      },
    });
    expect(await run(["collect", "--root", join(FIXTURES, "pi4"), "--only", "uptime", "--watch", "2s"], stop.signal)).toBe(0);
    expect(t.out.length).toBeGreaterThanOrEqual(3);
    const records = t.out.map((line) => JSON.parse(line));
    expect(records.map((r) => r.meta.seq)).toEqual(records.map((_, i) => i + 1));
    expect(records[1].unixTimestamp - records[0].unixTimestamp).toBe(2);
  });
});
