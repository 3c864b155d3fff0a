// The house's one-way flow (STYLE.md "The house"): host → collect → record → formats → spool →
// sinks → serve. These read the import lines of src/ and fail when an arrow points back.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { builtinItems } from "../../src/collect/registry.ts";
import { DATADOG_PREFIX, datadogMetricName } from "../../src/formats/datadog.ts";
import { escapeLabelValue } from "../../src/formats/prometheus.ts";
import { BUILTIN_IDS } from "../../src/record/builtin-ids.ts";
import { toDeviceId } from "../../src/record/device-id-rules.ts";
import { runCli } from "../../src/main.ts";
import { FIXTURES, fixtureStatfs, testContext } from "../helpers/context.ts";

const SRC = resolve(import.meta.dir, "../../src");

function _files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? _files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** Every relative import of every file under src/, as paths relative to src/. */
const imports: { from: string; to: string }[] = _files(SRC).flatMap((file) =>
  [...readFileSync(file, "utf8").matchAll(/^(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gm)].map((m) => ({
    from: relative(SRC, file),
    to: relative(SRC, resolve(dirname(file), m[1]!)),
  })),
);

function _from(area: string, into: string): string[] {
  return imports.filter((i) => i.from.startsWith(`${area}/`) && i.to.startsWith(`${into}/`)).map((i) => `${i.from} → ${i.to}`);
}

describe("imports run one way", () => {
  test("the scan sees the imports", () => {
    expect(imports.length).toBeGreaterThan(200);
    expect(imports).toContainEqual({ from: "deliver/flush.ts", to: "sinks/http.ts" });
  });

  test("nothing below serve imports the agent's delivery or collectors", () => {
    expect(_from("serve", "deliver")).toEqual([]);
    expect(_from("serve", "collect")).toEqual([]);
  });

  test("the record does not import config, deliver, serve or collect", () => {
    for (const area of ["config", "deliver", "serve", "collect", "sinks"]) expect(_from("record", area)).toEqual([]);
  });

  test("formats and sinks do not import deliver or serve", () => {
    for (const area of ["formats", "sinks"]) {
      expect(_from(area, "deliver")).toEqual([]);
      expect(_from(area, "serve")).toEqual([]);
    }
  });

  test("config/load.ts and config/sinks.ts are no circle", () => {
    const loadToSinks = imports.some((i) => i.from === "config/load.ts" && i.to === "config/sinks.ts");
    const sinksToLoad = imports.some((i) => i.from === "config/sinks.ts" && i.to === "config/load.ts");
    expect(loadToSinks && sinksToLoad).toBe(false);
  });

  test("the spool's layout is the spool's: spoolDirOf comes from deliver/spool.ts", () => {
    const source = readFileSync(join(SRC, "deliver/spool.ts"), "utf8");
    expect(source).toContain("export function spoolDirOf(");
    expect(readFileSync(join(SRC, "deliver/flush.ts"), "utf8")).not.toContain("export function spoolDirOf(");
  });
});

describe("names shared by both directions", () => {
  test("the collectors' registry holds exactly the record's built-in ids, in record order", () => {
    expect(builtinItems.map((item): string => item.id)).toEqual([...BUILTIN_IDS]);
  });

  test("datadog metric names are built from the prefix ingest reads and the shared metric names", () => {
    expect(datadogMetricName({ name: "network_receive_bytes_total" })).toBe(`${DATADOG_PREFIX}network_receive_bytes_total`);
  });

  test("a device id from a host name: cleaned, or nothing", () => {
    expect(toDeviceId(" pi kitchen ")).toBe("pi-kitchen");
    expect(toDeviceId("")).toBeUndefined();
    expect(toDeviceId("x".repeat(200))).toBe("x".repeat(128));
  });

  test("prometheus label values escape backslash, quote and line feed", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });
});

describe("one map of the home, one logger, one default period", () => {
  const sources = _files(SRC).map((file) => ({ file: relative(SRC, file), text: readFileSync(file, "utf8") }));

  test("no file but paths.ts joins a name onto the home or the state directory", () => {
    const joins = sources.filter((s) => s.file !== "paths.ts" && /join\((ctx\.)?paths\.(home|state),\s*"/.test(s.text)).map((s) => s.file);
    expect(joins).toEqual([]);
  });

  test("DEFAULT_PERIOD_S is defined once", () => {
    expect(sources.filter((s) => /DEFAULT_PERIOD_S\s*=/.test(s.text)).map((s) => s.file)).toEqual(["record/period.ts"]);
  });

  test("push --cron logs through the run's logger, not one of its own", async () => {
    const t = testContext({ statfs: fixtureStatfs(join(FIXTURES, "pi4")) }, { BAGTOWER_ROOTFS: join(FIXTURES, "pi4") });
    try {
      const code = await runCli(["push", "--cron", "--home", t.home, "--server", "http://127.0.0.1:1", "--device-id", "pi-1"], { overrides: t.ctx });
      expect(code).toBe(75);
      expect(t.logs.join("")).toContain("127.0.0.1:1");
    } finally {
      t.cleanup();
    }
  });
});
