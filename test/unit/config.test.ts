import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { envOverrides, loadConfig, parseTags, resolveConfig } from "../../src/config/load.ts";
import { serveConfig } from "../../src/config/serve-schema.ts";
import { ConfigError } from "../../src/errors.ts";
import { testContext, type TestContext } from "../helpers/context.ts";

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(78);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("resolveConfig", () => {
  test("defaults", () => {
    const config = resolveConfig({}, "config.json", []);
    expect(config.collect).toEqual({ cpuSampleMs: 250, timeoutMs: 2000, rootfs: "/" });
    expect(config.spool).toEqual({ maxSizeKb: 5120, expiryMinutes: 10080, whenFull: "drop-oldest" });
    expect(config.rateLimit.recordBurstLimit).toBe(1000);
    expect(config.items).toEqual({ disable: [], only: null });
    expect(config.flush.maxPerRun).toBe(500);
  });

  test("precedence: defaults < file < env < flags", () => {
    const config = resolveConfig({ deviceId: "from-file", collect: { cpuSampleMs: 100 }, tags: { location: "london" } }, "config.json", [
      ...envOverrides({ BAGTOWER_DEVICE_ID: "from-env", BAGTOWER_TAGS: "rack:3" }),
      { path: "deviceId", value: "from-flag", source: "--device-id" },
    ]);
    expect(config.deviceId).toBe("from-flag");
    expect(config.collect.cpuSampleMs).toBe(100);
    expect(config.collect.timeoutMs).toBe(2000);
    expect(config.tags).toEqual({ location: "london", rack: "3" });
  });

  test("the message names the file, the field path and the rule", () => {
    expect(configError(() => resolveConfig({ spool: { maxSizeKb: "big" } }, "/h/config.json", []))).toBe('/h/config.json: spool.maxSizeKb: expected a number, got "big"');
    expect(configError(() => resolveConfig({ spool: { maxSizeKb: 8 } }, "config.json", []))).toBe("config.json: spool.maxSizeKb: expected a number ≥ 16, got 8");
  });

  test("an invalid environment value names the variable", () => {
    expect(configError(() => resolveConfig({}, "config.json", envOverrides({ BAGTOWER_SPOOL_MAX_SIZE_KB: "lots" })))).toBe('BAGTOWER_SPOOL_MAX_SIZE_KB: spool.maxSizeKb: expected a number, got "lots"');
    expect(configError(() => resolveConfig({}, "config.json", envOverrides({ BAGTOWER_DEVICE_ID: "has space" })))).toStartWith("BAGTOWER_DEVICE_ID: deviceId: expected 1–128 letters");
  });

  test("an invalid flag value names the flag", () => {
    expect(configError(() => resolveConfig({}, "config.json", [{ path: "deviceId", value: "a/b", source: "--device-id" }]))).toStartWith("--device-id: deviceId:");
  });

  test("unknown fields are refused, so a typo never passes silently", () => {
    expect(configError(() => resolveConfig({ colect: {} }, "config.json", []))).toStartWith("config.json: colect: unknown field");
    expect(configError(() => resolveConfig({ collect: { cpuSample: 5 } }, "config.json", []))).toStartWith("config.json: collect.cpuSample: unknown field");
  });

  test("an unknown field suggests the known one at its place (issue 15)", () => {
    expect(configError(() => resolveConfig({ deviceid: "pi" }, "config.json", []))).toBe(
      "config.json: deviceid: unknown field. Did you mean deviceId? The fields are listed in docs/CONFIGURATION.md.",
    );
    expect(configError(() => resolveConfig({ collect: { cpuSampleMS: 5 } }, "c", []))).toStartWith("c: collect.cpuSampleMS: unknown field. Did you mean cpuSampleMs?");
    expect(configError(() => resolveConfig({ sinks: [{ name: "a", format: "influx", url: "http://x", databse: "d" }] }, "c", []))).toStartWith("c: sinks.0.databse: unknown field. Did you mean database?");
    expect(configError(() => resolveConfig({ serve: { limits: { itemsPerdevice: 3 } } }, "c", []))).toStartWith("c: serve.limits.itemsPerdevice: unknown field. Did you mean itemsPerDevice?");
    // Nothing close: no guess.
    expect(configError(() => resolveConfig({ zzzzzzzz: 1 }, "c", []))).toBe("c: zzzzzzzz: unknown field. The fields are listed in docs/CONFIGURATION.md.");
  });

  test("sinks are checked: format, URL and unique names", () => {
    expect(configError(() => resolveConfig({ sinks: [{ name: "a", format: "graphite", url: "http://x" }] }, "c", []))).toStartWith("c: sinks.0.format: expected one of bagtower");
    expect(configError(() => resolveConfig({ sinks: [{ name: "a", format: "influx", url: "ftp://x" }] }, "c", []))).toStartWith("c: sinks.0.url: expected an http(s) URL");
    const sink = { name: "a", format: "influx", url: "http://x" };
    expect(configError(() => resolveConfig({ sinks: [sink, sink] }, "c", []))).toStartWith("c: sinks: expected unique sink names");
  });

  test("serve.channels: entries with a url are kept whole for the notifier; anything else names the field", () => {
    const channel = { url: "ntfy://ntfy.sh/t", labels: { zone: "zone-1" }, resendInterval: "2h" };
    expect(serveConfig(resolveConfig({ serve: { channels: [channel] } }, "c", []).serve).channels).toEqual([channel]);
    expect(serveConfig(resolveConfig({}, "c", []).serve).channels).toEqual([]);
    expect(configError(() => resolveConfig({ serve: { channels: "ntfy://x/y" } }, "c", []))).toStartWith("c: serve.channels: expected a list of channels");
    expect(configError(() => resolveConfig({ serve: { channels: [{ name: "no url" }] } }, "c", []))).toStartWith("c: serve.channels.0.url: expected a channel {url, rules?");
  });
});

describe("parseTags", () => {
  test("name:value and name=value", () => expect(parseTags("location:london, rack=3")).toEqual({ location: "london", rack: "3" }));
  test("empty", () => expect(parseTags("")).toEqual({}));
  test("malformed", () => expect(() => parseTags("london")).toThrow("BAGTOWER_TAGS: expected name:value"));
});

describe("loadConfig", () => {
  let t: TestContext;
  afterEach(() => t.cleanup());

  test("no config.json: defaults", () => {
    t = testContext();
    expect(loadConfig(t.ctx).sinks).toEqual([]);
  });

  test("invalid JSON names the file, the line and the column, and what was expected there", () => {
    t = testContext();
    writeFileSync(join(t.home, "config.json"), "{ nope");
    expect(configError(() => loadConfig(t.ctx))).toBe(`${join(t.home, "config.json")}:1:3: not valid JSON: expected a "quoted" field name, found 'n'`);
    // The JSONC a README once showed: the comment's line.
    writeFileSync(join(t.home, "config.json"), '{\n  "deviceId": "pi-kitchen",\n  // where records go\n  "sinks": []\n}\n');
    expect(configError(() => loadConfig(t.ctx))).toBe(`${join(t.home, "config.json")}:3:3: not valid JSON: expected a "quoted" field name, found a comment (JSON has none)`);
  });

  test("a config file named with --config must exist", () => {
    t = testContext();
    const ctx = { ...t.ctx, configGiven: true, paths: { ...t.ctx.paths, config: join(t.home, "missing.json") } };
    expect(configError(() => loadConfig(ctx))).toContain("cannot read the config file (ENOENT)");
  });
});
