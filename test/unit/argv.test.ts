import { describe, expect, test } from "bun:test";
import type { ArgsDef } from "citty";
import { globalArgs, kebabFlag, parseCommandArgs } from "../../src/argv.ts";
import { parseDuration } from "../../src/duration.ts";
import { UsageError } from "../../src/errors.ts";
import { closest, editDistance } from "../../src/suggest.ts";

const args: ArgsDef = {
  ...globalArgs,
  format: { type: "enum", options: ["json", "pretty"] },
  only: { type: "string" },
  "device-id": { type: "string" },
  pretty: { type: "boolean" },
};

const usage = (tokens: string[]) => {
  try {
    parseCommandArgs("bagtower collect", args, tokens);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a usage error");
};

describe("kebabFlag", () => {
  test("is the camel-to-kebab rule (a capital after a lower-case letter or a digit starts a word), on every name", () => {
    const rule = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
    const names = ["cpuSampleMs", "device-id", "apiKey", "ABC", "aB", "a1B", "already-kebab", "x", "", "maxHTTPRetries", "v2Api", "_privateX", "Z9zZ"];
    for (const name of names) expect(kebabFlag(name)).toBe(rule(name));
    // Every pair and triple of the characters that matter to the rule.
    const chars = ["a", "Z", "7", "-", "_"];
    for (const a of chars) for (const b of chars) for (const c of ["", ...chars]) expect(kebabFlag(a + b + c)).toBe(rule(a + b + c));
  });
});

describe("parseCommandArgs", () => {
  test("flags, inline values, booleans and kebab/camel names", () => {
    const { values, help } = parseCommandArgs("c", args, ["--only", "cpu", "--format=pretty", "--pretty", "--deviceId", "x", "--home", "/h"]);
    expect(help).toBe(false);
    expect(values).toEqual({ only: "cpu", format: "pretty", pretty: true, "device-id": "x", home: "/h" });
  });
  test("--no-flag and --flag=false", () => {
    expect(parseCommandArgs("c", args, ["--no-pretty"]).values.pretty).toBe(false);
    expect(parseCommandArgs("c", args, ["--pretty=false"]).values.pretty).toBe(false);
  });
  test("--help and -h", () => {
    expect(parseCommandArgs("c", args, ["-h"]).help).toBe(true);
    expect(parseCommandArgs("c", args, ["--only", "x", "--help"]).help).toBe(true);
  });
  test("a repeated flag keeps the last value; a repeatable one keeps all of them", () => {
    const tokens = ["--only", "a", "--only=b", "--", "--only", "c"];
    expect(() => parseCommandArgs("c", args, tokens)).toThrow("unexpected argument '--only'");
    expect(parseCommandArgs("c", args, tokens.slice(0, 3)).values.only).toBe("b");
    const repeatable = { ...args, only: { type: "string", repeatable: true }, rest: { type: "positional", variadic: true } } as ArgsDef;
    expect(parseCommandArgs("c", repeatable, tokens).values.only).toEqual(["a", "b"]);
  });
  test("an unknown flag suggests the closest", () => expect(usage(["--onyl", "cpu"])).toBe("unknown option --onyl for 'bagtower collect'. Did you mean --only? See 'bagtower collect --help'."));
  test("an unknown short flag", () => expect(usage(["-x"])).toContain("unknown option -x"));
  test("a command that takes an argument says how to pass one that starts with '-'", () => {
    const ping = { ...globalArgs, target: { type: "positional", required: true }, start: { type: "boolean" } } as ArgsDef;
    expect(() => parseCommandArgs("bagtower ping", ping, ["-Xa3kq9"])).toThrow("unknown option -Xa3kq9 for 'bagtower ping'. An argument that starts with '-' goes after '--': 'bagtower ping -- -Xa3kq9'.");
    expect(() => parseCommandArgs("bagtower ping", ping, ["-start"])).toThrow("Did you mean --start?");
    expect(parseCommandArgs("bagtower ping", ping, ["--start", "--", "-Xa3kq9"]).values).toMatchObject({ target: "-Xa3kq9", start: true });
    expect(usage(["-Xa3kq9"])).not.toContain("goes after '--'");
  });
  test("a missing value", () => expect(usage(["--only"])).toBe("option --only needs a value. See 'bagtower collect --help'."));
  test("a value that is another flag is missing", () => expect(usage(["--only", "--pretty"])).toContain("--only needs a value"));
  test("an enum value out of range", () => expect(usage(["--format", "jsn"])).toBe("--format jsn: expected one of json, pretty. Did you mean json?"));
  test("a boolean with a value", () => expect(usage(["--pretty=yes"])).toContain("takes no value"));
  test("a stray argument", () => expect(usage(["extra"])).toBe("unexpected argument 'extra' for 'bagtower collect'. See 'bagtower collect --help'."));
  test("a negative number is a value, not a flag", () => expect(parseCommandArgs("c", args, ["--only", "-5"]).values.only).toBe("-5"));
});

describe("suggestions", () => {
  test("edit distance", () => {
    expect(editDistance("colect", "collect")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });
  test("closest within reach, or none", () => {
    expect(closest("colect", ["collect", "id"])).toBe("collect");
    expect(closest("spo", ["spool", "serve"])).toBe("spool");
    expect(closest("zzzzzz", ["collect", "id"])).toBeUndefined();
  });
});

describe("parseDuration", () => {
  test.each([
    ["250ms", 250],
    ["10s", 10_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["7d", 604_800_000],
    ["30", 30_000],
    ["1.5s", 1500],
  ])("%s", (text, ms) => expect(parseDuration(text, "--watch")).toBe(ms));
  test.each(["", "soon", "0", "-5s", "10x"])("%p is refused", (text) => expect(() => parseDuration(text, "--watch")).toThrow("expected a duration"));
});
