import { UsageError } from "./errors.ts";

const _UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `10s`, `5m`, `1h`, `30d`; a bare number is seconds. Returns milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  const ms = match ? Number(match[1]) * _UNITS[match[2] ?? "s"]! : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`${flag} ${text}: expected a duration such as 30s, 10m, 1h or 7d`);
  return Math.round(ms);
}
