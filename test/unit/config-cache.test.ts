import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, readConfigFile, resolveConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";
import { STATE_FILES } from "../../src/paths.ts";
import { testContext, type TestContext } from "../helpers/context.ts";

let t: TestContext;
afterEach(() => t?.cleanup());
const cacheFile = () => join(t.ctx.paths.state, STATE_FILES.configCache);
const writeConfig = (config: unknown) => writeFileSync(t.ctx.paths.config, JSON.stringify(config));

describe("the resolved config's cache", () => {
  test("a second load comes from the cache and equals what the schema resolves, serve section and all", () => {
    t = testContext();
    writeConfig({
      deviceId: "pi-kitchen",
      sinks: [{ name: "a", format: "bagtower", url: "http://127.0.0.1:9", apiKey: "k" }],
      collect: { cpuSampleMs: 100 },
      serve: { retention: "raw=30d,5m=90d,1h=2y", rules: ["cpu > 80 for 10m"], limits: { itemsPerDevice: 50 } },
    });
    const first = loadConfig(t.ctx);
    expect(existsSync(cacheFile())).toBe(true);
    expect(statSync(cacheFile()).mode & 0o777).toBe(0o600);
    const second = loadConfig(t.ctx);
    expect(second).toEqual(first);
    expect(second).toEqual(resolveConfig(readConfigFile(t.ctx.paths.config, false), t.ctx.paths.config, []));
    expect(second.serve?.retention).toEqual(first.serve?.retention);
  });

  test("an edit of the same length, another override or no file at all gives a fresh resolve", () => {
    t = testContext();
    writeConfig({ collect: { cpuSampleMs: 100 } });
    expect(loadConfig(t.ctx).collect.cpuSampleMs).toBe(100);
    writeConfig({ collect: { cpuSampleMs: 200 } }); // same length, written within the same clock tick
    expect(loadConfig(t.ctx).collect.cpuSampleMs).toBe(200);
    expect(loadConfig(t.ctx, [{ path: "collect.cpuSampleMs", value: 300, source: "--flag" }]).collect.cpuSampleMs).toBe(300);
    expect(loadConfig(t.ctx).collect.cpuSampleMs).toBe(200);
    const withEnv = testContext({}, { BAGTOWER_DEVICE_ID: "from-env" });
    try {
      writeFileSync(withEnv.ctx.paths.config, readFileSync(t.ctx.paths.config));
      expect(loadConfig(withEnv.ctx).deviceId).toBe("from-env");
    } finally {
      withEnv.cleanup();
    }
    writeFileSync(t.ctx.paths.config, "{}");
    expect(loadConfig(t.ctx).collect.cpuSampleMs).toBe(250);
  });

  test("an invalid config is refused on every run, never served from an earlier valid one", () => {
    t = testContext();
    writeConfig({ collect: { cpuSampleMs: 100 } });
    loadConfig(t.ctx);
    writeConfig({ collect: { cpuSampleMs: "fast" } });
    expect(() => loadConfig(t.ctx)).toThrow(ConfigError);
    expect(() => loadConfig(t.ctx)).toThrow("collect.cpuSampleMs");
    writeFileSync(t.ctx.paths.config, "{ not json");
    expect(() => loadConfig(t.ctx)).toThrow("not valid JSON");
  });

  test("a torn or foreign cache file is ignored and replaced", () => {
    t = testContext();
    writeConfig({ collect: { cpuSampleMs: 100 } });
    loadConfig(t.ctx);
    writeFileSync(cacheFile(), '{"key": ');
    expect(loadConfig(t.ctx).collect.cpuSampleMs).toBe(100);
    writeFileSync(cacheFile(), JSON.stringify({ key: "another version", config: { collect: { cpuSampleMs: 1 } } }));
    expect(loadConfig(t.ctx).collect.cpuSampleMs).toBe(100);
    expect(JSON.parse(readFileSync(cacheFile(), "utf8")).config.collect.cpuSampleMs).toBe(100);
  });
});
