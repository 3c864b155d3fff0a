// The dashboard's push-period durations follow the CLI's rules: dashboard/duration.js (which the
// browser runs as is) against src/duration.ts (parse) and src/cron/line.ts (format) on one table.
import { describe, expect, test } from "bun:test";
import { formatPeriod as cliFormat } from "../../src/cron/line.ts";
import { parseDuration as cliParse } from "../../src/duration.ts";
import { formatPeriod, parseDuration } from "../../src/serve/dashboard/duration.js";

/** The CLI's answer as the dashboard gives it: milliseconds, or null where the CLI refuses the text. */
function cliParsed(text: string): number | null {
  try {
    return cliParse(text, "--period");
  } catch {
    return null;
  }
}

const TEXTS = ["300", "300s", "10m", "1h", "1.5h", "7d", "30d", "250ms", " 5m ", "5 m", "0.5", "90", "2h", "10M", "1h30m", "10 min", "5min", "hours", "", " ", "0", "0s", "-5", "1e3", "abc", "5x", "1.5.2", "60s", "3600", "1.25m", "0.0001"];
const SECONDS = [10, 30, 45, 59, 60, 90, 120, 300, 600, 900, 3599, 3600, 5400, 7200, 86_400, 90_000, 31 * 86_400, 12.5];

describe("dashboard durations as the CLI's", () => {
  test.each(TEXTS)("parse %p", (text) => {
    expect(parseDuration(text)).toBe(cliParsed(text));
  });

  test.each(SECONDS)("format %p s", (seconds) => {
    expect(formatPeriod(seconds)).toBe(cliFormat(seconds));
  });

  test("what the dashboard writes, the CLI reads back to the same period", () => {
    for (const seconds of SECONDS.filter(Number.isInteger)) expect(cliParse(formatPeriod(seconds), "--period")).toBe(seconds * 1000);
  });

  test("a period the device has not got shows a dash", () => {
    for (const seconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(formatPeriod(seconds)).toBe("—");
  });

  test("the table covers both answers of the CLI", () => {
    expect(TEXTS.some((t) => cliParsed(t) === null)).toBe(true);
    expect(TEXTS.some((t) => cliParsed(t) !== null)).toBe(true);
  });
});
