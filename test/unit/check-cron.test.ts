import { describe, expect, test } from "bun:test";
import { CronError, nextRun, parseCron } from "../../src/serve/checks/cron.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().replace(".000Z", "Z"));

describe("nextRun", () => {
  const cases: [string, string, string | undefined][] = [
    ["* * * * *", "2026-12-01T10:00:30Z", "2026-12-01T10:01:00Z"],
    ["* * * * *", "2026-12-01T10:00:00Z", "2026-12-01T10:01:00Z"],
    ["*/15 * * * *", "2026-12-01T10:16:00Z", "2026-12-01T10:30:00Z"],
    ["5/20 * * * *", "2026-12-01T10:26:00Z", "2026-12-01T10:45:00Z"],
    ["0 3 * * *", "2026-12-01T03:00:00Z", "2026-12-02T03:00:00Z"],
    ["30 2 * * 1-5", "2026-12-04T03:00:00Z", "2026-12-07T02:30:00Z"], // Friday after → Monday
    ["0 0 1 * *", "2026-12-15T00:00:00Z", "2027-01-01T00:00:00Z"],
    ["0 12 * jan,jul mon", "2026-12-01T00:00:00Z", "2027-01-04T12:00:00Z"],
    ["0 0 * * 7", "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"], // 7 is Sunday
    ["0 0 * * sun", "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"],
    // Both day fields restricted: either matches (the 13th, or a Friday).
    ["0 0 13 * 5", "2026-12-01T00:00:00Z", "2026-12-04T00:00:00Z"],
    ["0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"],
    ["0 0 30 2 *", "2026-03-01T00:00:00Z", undefined],
    ["@hourly", "2026-12-01T10:59:59Z", "2026-12-01T11:00:00Z"],
    ["@daily", "2026-12-31T23:59:00Z", "2027-01-01T00:00:00Z"],
    ["@weekly", "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"],
    ["0,30 8-9 * * *", "2026-12-01T08:31:00Z", "2026-12-01T09:00:00Z"],
  ];
  for (const [expr, after, expected] of cases) {
    test(`${expr} after ${after}`, () => {
      expect(iso(nextRun(parseCron(expr), at(after)))).toBe(expected);
    });
  }
});

describe("parseCron refuses", () => {
  const bad: [string, RegExp][] = [
    ["", /expected 5 fields/],
    ["* * * *", /expected 5 fields .*, got 4/],
    ["* * * * * *", /got 6/],
    ["60 * * * *", /minute 60 is outside 0–59/],
    ["* 24 * * *", /hour 24/],
    ["* * 0 * *", /day of month 0/],
    ["* * * 13 *", /month 13/],
    ["* * * * 8", /day of week 8/],
    ["*/0 * * * *", /step 0/],
    ["5-1 * * * *", /goes backwards/],
    ["a * * * *", /not a number/],
    ["* * * foo *", /not a number or a name/],
    ["1-2-3 * * * *", /not a range/],
  ];
  for (const [expr, message] of bad) {
    test(JSON.stringify(expr), () => {
      expect(() => parseCron(expr)).toThrow(CronError);
      expect(() => parseCron(expr)).toThrow(message);
    });
  }
});
