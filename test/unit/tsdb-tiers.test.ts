// Retention per tier (parseRetention) and the tier a series query reads (pickTier).
import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/errors.ts";
import { DEFAULT_RETENTION, formatRetention, MAX_POINTS, parseRetention, pickTier, retentionOf, type Retention } from "../../src/serve/tsdb/tiers.ts";

const D = 86_400;

describe("parseRetention", () => {
  test.each([
    ["30d", { rawS: 30 * D, fiveMinuteS: 90 * D, hourS: 730 * D }],
    ["7d", { rawS: 7 * D, fiveMinuteS: 90 * D, hourS: 730 * D }],
    // One duration is the raw tier's; the others never stay shorter than it.
    ["120d", { rawS: 120 * D, fiveMinuteS: 120 * D, hourS: 730 * D }],
    ["3y", { rawS: 1095 * D, fiveMinuteS: 1095 * D, hourS: 1095 * D }],
    ["raw=30d,5m=90d,1h=2y", { rawS: 30 * D, fiveMinuteS: 90 * D, hourS: 730 * D }],
    ["1h=5y, raw=14d", { rawS: 14 * D, fiveMinuteS: 90 * D, hourS: 1825 * D }],
    ["5m=180d", { rawS: 30 * D, fiveMinuteS: 180 * D, hourS: 730 * D }],
    ["5m=1000d", { rawS: 30 * D, fiveMinuteS: 1000 * D, hourS: 1000 * D }],
    ["raw=36h,5m=36h,1h=36h", { rawS: 36 * 3600, fiveMinuteS: 36 * 3600, hourS: 36 * 3600 }],
    ["1.5y", { rawS: 547.5 * D, fiveMinuteS: 547.5 * D, hourS: 730 * D }],
  ] as [string, Retention][])("%p", (text, expected) => {
    expect(parseRetention(text)).toEqual(expected);
  });

  test("the default is 30 days raw, 90 days of 5-minute and 2 years of 1-hour buckets", () => {
    expect(DEFAULT_RETENTION).toEqual(parseRetention("30d"));
    expect(formatRetention(DEFAULT_RETENTION)).toBe("raw=30d,5m=90d,1h=730d");
  });

  test.each([
    ["", "expected a duration such as 30d, or per tier raw=30d,5m=90d,1h=2y"],
    ["thirty", "thirty: expected a duration such as 30d, 12h or 2y"],
    ["0d", "0d: expected a duration such as 30d, 12h or 2y"],
    ["-5d", "-5d: expected a duration such as 30d, 12h or 2y"],
    ["raw=", "raw=: expected a duration such as 30d, 12h or 2y"],
    ["raw=30d,1m=90d", "1m=90d: expected a duration such as 30d, or per tier raw=30d,5m=90d,1h=2y"],
    ["raw=30d,", "(empty): expected a duration such as 30d, or per tier"],
    ["raw=30d,raw=7d", "raw=7d: raw is given twice"],
    ["raw=30d,5m=7d", "5m=7d is shorter than raw=30d: a coarser tier must be kept at least as long"],
    ["5m=7d", "5m=7d is shorter than raw=30d"],
    ["5m=400d,1h=1y", "1h=365d is shorter than 5m=400d"],
    ["1h=30d", "1h=30d is shorter than 5m=90d"],
    ["raw=2x", "raw=2x: expected a duration such as 30d, 12h or 2y"],
  ])("%p: one line naming the bad part", (text, message) => {
    const result = retentionOf(text);
    expect("error" in result && result.error).toContain(message);
    expect(() => parseRetention(text)).toThrow(UsageError);
    expect(() => parseRetention(text)).toThrow(`--retention ${message}`);
  });
});

describe("pickTier", () => {
  const now = 1_800_000_000;
  const R = DEFAULT_RETENTION;
  const pick = (days: number, stepS?: number, periodS = 600, retention = R, endDaysAgo = 0) =>
    pickTier(now - (days + endDaysAgo) * D, now - endDaysAgo * D, now, retention, periodS, stepS);

  test.each([
    // range, step, period → tier, step to aggregate to
    ["a day", 1, undefined, 600, "raw", 0],
    ["a week at 10 minutes: 1,008 raw points", 7, undefined, 600, "raw", 0],
    ["a week at 1 minute: 10,080 raw points are too many", 7, undefined, 60, "1h", 3600],
    ["a day at 1 minute: 1,440 points", 1, undefined, 60, "raw", 0],
    ["30 days at 10 minutes: 4,320 raw, 8,640 5m, 720 1h", 30, undefined, 600, "1h", 3600],
    ["90 days: outside raw; 1h (2,160 buckets, merged in twos)", 90, undefined, 600, "1h", 7200],
    ["a year: 1h, merged to ≤ 2,000 points", 365, undefined, 600, "1h", 18_000],
    ["5 years: beyond every tier, 1h holds the most", 5 * 365, undefined, 600, "1h", 79_200],
    ["empty range", 0, undefined, 600, "raw", 0],
    // The dashboard's step, range / 600.
    ["a week, step 1,008 s: coarser than 5 min → 5m, merged to 20 min", 7, 1008, 600, "5m", 1200],
    ["90 days, step 12,960 s → 1h, merged to 4 h", 90, 12_960, 600, "1h", 14_400],
    ["a year, step 52,560 s → 1h, merged to 15 h", 365, 52_560, 600, "1h", 54_000],
    ["a day, step 144 s at a 10 s period: 8,640 raw points → 5m", 1, 144, 10, "5m", 300],
    ["a day, step 144 s → raw at 60 s, merged to 144 s", 1, 144, 60, "raw", 144],
    ["a week, step 60 s → raw (step finer than 5 min)", 7, 60, 600, "raw", 0],
    ["a week, step 300 s → raw", 7, 300, 600, "raw", 0],
    ["a week, step 301 s → 5m, merged to 10 min", 7, 301, 600, "5m", 600],
    ["a week, step 3,600 s → 1h", 7, 3600, 600, "1h", 3600],
    ["30 days, step 60 s → 5m is the finest, merged to ≤ 2,000 points", 30, 60, 600, "5m", 1500],
    ["60 days, step 60 s → 5m covers it", 60, 60, 600, "5m", 2700],
    ["a year, step 300 s → 5m does not cover it, so 1h", 365, 300, 600, "1h", 18_000],
  ] as const)("%s", (_, days, stepS, periodS, tier, step) => {
    expect(pick(days, stepS, periodS)).toEqual({ tier, stepS: step });
  });

  test("the retention decides what covers the start", () => {
    const long: Retention = { rawS: 100 * D, fiveMinuteS: 400 * D, hourS: 800 * D };
    expect(pick(80, undefined, 3600, long)).toEqual({ tier: "raw", stepS: 0 });
    expect(pick(80, 1000, 600, long)).toEqual({ tier: "5m", stepS: 3600 });
    // Asked for 1,000 s over 90 days, more than 2,000 points: the step widens, and with it the tier.
    expect(pick(90, 1000, 600, long)).toEqual({ tier: "1h", stepS: 7200 });
    // A week ending 50 days ago is outside the default raw retention; 5m would be 2,016 buckets.
    expect(pick(7, undefined, 600, R, 50)).toEqual({ tier: "1h", stepS: 3600 });
    expect(pick(6, undefined, 600, R, 50)).toEqual({ tier: "5m", stepS: 300 });
  });

  test("an answer never holds more than about MAX_POINTS points", () => {
    for (const days of [1, 2, 7, 14, 30, 45, 90, 180, 365, 730, 2000]) {
      for (const stepS of [undefined, 10, 60, 300, 1000, 3600, 86_400]) {
        for (const periodS of [10, 60, 600]) {
          const { tier, stepS: step } = pick(days, stepS, periodS);
          const width = step || (tier === "raw" ? periodS : 0);
          expect((days * D) / width, `${days} d step ${stepS} period ${periodS}`).toBeLessThanOrEqual(MAX_POINTS);
          if (tier !== "raw") expect(step % (tier === "5m" ? 300 : 3600)).toBe(0);
        }
      }
    }
  });
});
