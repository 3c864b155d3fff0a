import * as v from "valibot";
import { parseFlag } from "./flag-value.ts";

const _UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const _EXPECTED = "expected a duration such as 30s, 10m, 1h or 7d";
const _PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;

/** `250ms`, `10s`, `5m`, `1h`, `30d`; a bare number is seconds. Milliseconds, more than 0. */
export const durationSchema = v.pipe(
  v.string(),
  v.regex(_PATTERN, _EXPECTED),
  v.transform((text) => {
    const [, amount, unit] = _PATTERN.exec(text)!;
    return Number(amount) * _UNITS[unit ?? "s"]!;
  }),
  v.finite(_EXPECTED),
  v.gtValue(0, _EXPECTED),
  v.transform(Math.round),
);

/** `250ms`, `10s`, `5m`, `1h`, `30d`; a bare number is seconds. Returns milliseconds. */
export function parseDuration(text: string, flag: string): number {
  return parseFlag(durationSchema, text, flag);
}
