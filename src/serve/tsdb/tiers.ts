import * as v from "valibot";
import { durationSchema } from "../../duration.ts";
import { UsageError } from "../../errors.ts";

/**
 * How long each tier of the store is kept, in seconds: raw samples, 5-minute and 1-hour buckets.
 * A coarser tier is never kept shorter than a finer one (a graph's range would have a hole).
 */
export interface Retention {
  rawS: number;
  fiveMinuteS: number;
  hourS: number;
}

export type Tier = "raw" | "5m" | "1h";

const _DAY = 86_400;
/** `y` in a retention is 365 days (no leap years: a tier's length, not a calendar). */
const _YEAR = 365 * _DAY;

export const DEFAULT_RETENTION: Readonly<Retention> = Object.freeze({ rawS: 30 * _DAY, fiveMinuteS: 90 * _DAY, hourS: 730 * _DAY });

/** Bucket widths of the rollup tiers. */
export const TIER_SECONDS = { "5m": 300, "1h": 3600 } as const;

/** A series answer holds at most about this many points per series, whatever the range. */
export const MAX_POINTS = 2000;

const _FIELDS = { raw: "rawS", "5m": "fiveMinuteS", "1h": "hourS" } as const satisfies Record<Tier, keyof Retention>;
const _EXPECTED = "expected a duration such as 30d, or per tier raw=30d,5m=90d,1h=2y";

/** One tier's duration: the project's durations (30d, 12h…) plus `y` for 365 days. Seconds, or an error line. */
function _seconds(text: string): number | string {
  const years = /^\s*(\d+(?:\.\d+)?)\s*y\s*$/.exec(text);
  if (years) {
    const s = Math.round(Number(years[1]) * _YEAR);
    return s > 0 ? s : "expected a duration above 0";
  }
  const parsed = v.safeParse(durationSchema, text);
  if (!parsed.success) return "expected a duration such as 30d, 12h or 2y";
  const s = Math.round(parsed.output / 1000);
  return s > 0 ? s : "expected at least 1s";
}

/**
 * `30d` (raw only; the 5-minute and 1-hour tiers keep their defaults, raised to the raw one's if it
 * is longer) or `raw=30d,5m=90d,1h=2y` (any subset, any order; the missing keep their defaults,
 * likewise raised). The result, or one line naming the bad part.
 */
export function retentionOf(text: string): Retention | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { error: _EXPECTED };
  const given: Partial<Record<Tier, number>> = {};
  if (!trimmed.includes("=")) {
    const s = _seconds(trimmed);
    if (typeof s === "string") return { error: `${trimmed}: ${s}` };
    given.raw = s;
  } else {
    for (const part of trimmed.split(",")) {
      const at = part.indexOf("=");
      const name = part.slice(0, Math.max(at, 0)).trim();
      if (at < 0 || !(name in _FIELDS)) return { error: `${part.trim() || "(empty)"}: ${_EXPECTED}` };
      const tier = name as Tier;
      if (given[tier] !== undefined) return { error: `${part.trim()}: ${tier} is given twice` };
      const s = _seconds(part.slice(at + 1));
      if (typeof s === "string") return { error: `${part.trim()}: ${s}` };
      given[tier] = s;
    }
  }
  const rawS = given.raw ?? DEFAULT_RETENTION.rawS;
  const fiveMinuteS = given["5m"] ?? Math.max(DEFAULT_RETENTION.fiveMinuteS, rawS);
  const hourS = given["1h"] ?? Math.max(DEFAULT_RETENTION.hourS, fiveMinuteS);
  if (fiveMinuteS < rawS) return { error: `5m=${formatDuration(fiveMinuteS)} is shorter than raw=${formatDuration(rawS)}: a coarser tier must be kept at least as long` };
  if (hourS < fiveMinuteS) return { error: `1h=${formatDuration(hourS)} is shorter than 5m=${formatDuration(fiveMinuteS)}: a coarser tier must be kept at least as long` };
  return { rawS, fiveMinuteS, hourS };
}

/** retentionOf for a flag: the retention, or a usage error (exit 2) `--retention raw=x: …`. */
export function parseRetention(text: string, flag = "--retention"): Retention {
  const result = retentionOf(text);
  if ("error" in result) throw new UsageError(`${flag} ${result.error}`);
  return result;
}

/** The same text in a config file (serve.retention): a string, checked where it is read. */
export const retentionSchema = v.pipe(
  v.string(_EXPECTED),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const result = retentionOf(dataset.value);
    if ("error" in result) {
      addIssue({ message: result.error });
      return NEVER;
    }
    return result;
  }),
);

/** `raw=30d,5m=90d,1h=730d`, for log lines. */
export function formatRetention(retention: Retention): string {
  return `raw=${formatDuration(retention.rawS)},5m=${formatDuration(retention.fiveMinuteS)},1h=${formatDuration(retention.hourS)}`;
}

/** Seconds in the largest unit that divides them: 30d, 12h, 90m, 45s. */
export function formatDuration(seconds: number): string {
  for (const [unit, s] of [["d", _DAY], ["h", 3600], ["m", 60]] as const) if (seconds % s === 0) return `${seconds / s}${unit}`;
  return `${seconds}s`;
}

export interface TierChoice {
  tier: Tier;
  /**
   * The width of the answer's buckets, to give aggregateToStep: a multiple of the tier's bucket
   * width (equal to it when nothing is to merge), or 0 for raw samples as stored.
   */
  stepS: number;
}

/**
 * Which tier answers a series query over [fromS, toS] at `nowS`, for a device sending every
 * `periodS` seconds (rule in docs/TSDB.md, "Choosing the tier"):
 *
 * - raw, when the range starts inside the raw retention, holds at most MAX_POINTS samples at the
 *   device's period, and `stepS` (if given) is at most 5 minutes;
 * - otherwise among the rollup tiers whose retention covers `fromS` (the 1-hour tier when none
 *   does: it holds the most history): without `stepS` the finest with at most MAX_POINTS buckets
 *   over the range; with `stepS` the coarsest whose width is at most the wanted step (`stepS`, or
 *   range / MAX_POINTS when that is wider; the finest covering tier when none is);
 * - the step is the wanted one (at least the tier's width) rounded up to a multiple of the tier's
 *   width, so an answer never has more than MAX_POINTS points and every step holds whole buckets.
 */
export function pickTier(fromS: number, toS: number, nowS: number, retention: Retention, periodS: number, stepS?: number): TierChoice {
  const span = Math.max(0, toS - fromS);
  const minStep = span / MAX_POINTS;
  const period = periodS > 0 ? periodS : 1;
  const rawCovers = fromS >= nowS - retention.rawS;
  if (rawCovers && span / period <= MAX_POINTS && (stepS === undefined || stepS <= TIER_SECONDS["5m"])) {
    return { tier: "raw", stepS: stepS !== undefined && stepS > period ? Math.ceil(stepS) : 0 };
  }
  const covering = (["5m", "1h"] as const).filter((tier) => fromS >= nowS - retention[_FIELDS[tier]]);
  if (covering.length === 0) covering.push("1h");
  let tier: "5m" | "1h";
  if (stepS === undefined) tier = covering.find((t) => span / TIER_SECONDS[t] <= MAX_POINTS) ?? covering.at(-1)!;
  else {
    const want = Math.max(stepS, minStep);
    tier = covering.filter((t) => TIER_SECONDS[t] <= want).at(-1) ?? covering[0]!;
  }
  const width = TIER_SECONDS[tier];
  return { tier, stepS: width * Math.ceil(Math.max(stepS ?? 0, minStep, width) / width) };
}
