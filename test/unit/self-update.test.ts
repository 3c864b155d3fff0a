// bagtower update's pure parts: which receiver it updates from, and reading SHA256SUMS.
import { describe, expect, test } from "bun:test";
import type { Config } from "../../src/config/schema.ts";
import { parseSums, updateServer } from "../../src/self-update.ts";

const sum = "a".repeat(64);
const config = (sinks: { format: string; url: string }[]) => ({ sinks: sinks.map((s, i) => ({ name: `s${i}`, ...s })) }) as unknown as Config;

describe("parseSums", () => {
  test.each([
    [`${sum}  bagtower-linux-x64\n`, sum],
    [`${sum} *bagtower-linux-x64\n`, sum], // sha256sum --binary
    [`${"b".repeat(64)}  bagtower-linux-x64-musl\n${sum}  bagtower-linux-x64\n`, sum],
    [`${sum}  bagtower-linux-arm64\n`, undefined],
    [`${sum}  bagtower-linux-x64.old\n`, undefined],
    [`${sum.slice(1)}  bagtower-linux-x64\n`, undefined],
    ["", undefined],
  ])("%p", (text, expected) => {
    expect(parseSums(text, "bagtower-linux-x64")).toBe(expected);
  });
});

describe("updateServer", () => {
  test("the origin of the one bagtower sink (serve answers at its root, /prod/logs too)", () => {
    expect(updateServer(config([{ format: "bagtower", url: "http://gw:8787/prod" }, { format: "influx", url: "http://vm:8428" }]))).toBe("http://gw:8787");
  });
  test("two sinks of the same receiver are one", () => {
    expect(updateServer(config([{ format: "bagtower", url: "http://gw:8787" }, { format: "bagtower", url: "http://gw:8787/prod" }]))).toBe("http://gw:8787");
  });
  test("none, or several receivers: a config error (78) that says to give --server", () => {
    expect(() => updateServer(config([{ format: "influx", url: "http://vm:8428" }]))).toThrow("no bagtower sink in config.json to update from: give --server URL");
    expect(() => updateServer(config([{ format: "bagtower", url: "http://a:1" }, { format: "bagtower", url: "http://b:1" }]))).toThrow("several bagtower servers (http://a:1, http://b:1): name one with --server URL");
    try {
      updateServer(config([]));
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(78);
    }
  });
  test("--server wins; a bad one is a config error", () => {
    expect(updateServer(config([]), "http://gw:8787/x")).toBe("http://gw:8787");
    expect(() => updateServer(config([]), "gw")).toThrow("--server gw: expected a URL");
  });
});
