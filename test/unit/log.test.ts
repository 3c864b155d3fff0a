import { describe, expect, test } from "bun:test";
import { createLogger, logLevel, timestamped } from "../../src/log.ts";

const lines = (level: number) => {
  const out: string[] = [];
  const log = createLogger(level, (line) => out.push(line));
  log.error("e", 1);
  log.warn("w");
  log.info("i");
  log.debug(new Error("d"));
  return out;
};

describe("createLogger", () => {
  test("each level shows its messages and those above it, one plain line each", () => {
    expect(lines(logLevel({ quiet: true }))).toEqual(["error: e 1\n"]);
    expect(lines(1)).toEqual(["error: e 1\n", "warn: w\n"]);
    expect(lines(logLevel({}))).toEqual(["error: e 1\n", "warn: w\n", "i\n"]);
    expect(lines(logLevel({ verbose: true }))).toEqual(["error: e 1\n", "warn: w\n", "i\n", "debug: d\n"]);
  });

  test("a logger that is never used writes nothing", () => {
    const out: string[] = [];
    createLogger(4, (line) => out.push(line));
    expect(out).toEqual([]);
  });

  test("timestamped lines start with the time", () => {
    const out: string[] = [];
    createLogger(3, timestamped((line) => out.push(line), () => Date.UTC(2026, 11, 2, 6, 0, 0))).warn("late");
    expect(out).toEqual(["2026-12-02T06:00:00.000Z warn: late\n"]);
  });
});
