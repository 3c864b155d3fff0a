// The rules config fields share: whole numbers in a range, -1-or-a-limit, non-empty text, and the
// message of a field no object knows.
import * as v from "valibot";

export const intField = (min: number, max: number, what = "a whole number") =>
  v.pipe(
    v.number(`expected ${what}`),
    v.integer(`expected ${what}`),
    v.minValue(min, `expected ${what} ≥ ${min}`),
    v.maxValue(max, `expected ${what} ≤ ${max}`),
  );

/** A limit where −1 means "no limit" (telemetrics-client's convention). */
export const limitField = v.union(
  [v.literal(-1), v.pipe(v.number(), v.integer(), v.minValue(1))],
  "expected −1 (off) or a whole number ≥ 1",
);

export const textField = (what: string) => v.pipe(v.string(`expected ${what}`), v.trim(), v.nonEmpty(`expected ${what}`));

export const UNKNOWN_FIELD = "unknown field (see the config reference in docs/CONFIGURATION.md)";
