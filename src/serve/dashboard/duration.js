// Push periods as the CLI writes and reads them (`cron install --period 10m`, `cron status`): the
// same rules as src/duration.ts (parse) and src/cron/line.ts (format), which this file cannot
// import (the browser runs it as is). test/unit/dashboard-duration.test.ts holds both to a table.

const UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `10s`, `5m`, `1.5h`, `7d`; a bare number is seconds. Milliseconds, or null when it is not a duration. */
export function parseDuration(text) {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(String(text));
  const ms = match ? Number(match[1]) * UNITS_MS[match[2] ?? "s"] : Number.NaN;
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : null;
}

/** 600 → "10m", 7200 → "2h", 90 → "90s"; "—" for a period the device has not got. */
export function formatPeriod(seconds) {
  if (!Number.isFinite(seconds) || seconds <= 0) return "—";
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
