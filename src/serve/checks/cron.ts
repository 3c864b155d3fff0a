/**
 * The standard five-field cron expression (minute hour day-of-month month day-of-week, as crontab(5)
 * reads it: lists, ranges, steps, names, `*`, and the @hourly-style shorthands), for heartbeat
 * checks that expect a ping when a device's cron job runs. Pure: text → schedule → next time.
 * As in Vixie cron, when both day fields are restricted a day matching either one counts.
 */

export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Both day-of-month and day-of-week were given (neither `*`): a day matching either runs. */
  eitherDay: boolean;
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

export class CronError extends Error {
  override name = "CronError";
}

const _MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const _DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const _SHORTHANDS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

interface _Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Names count from this number (months from 1). */
  nameBase?: number;
}

const _FIELDS: _Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: _MONTHS, nameBase: 1 },
  // 7 is Sunday too.
  { name: "day of week", min: 0, max: 7, names: _DAYS, nameBase: 0 },
];

function _value(text: string, field: _Field, expr: string): number {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + field.nameBase!;
  if (!/^\d{1,2}$/.test(text)) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} ${JSON.stringify(text)} is not a number${field.names ? " or a name" : ""}`);
  const n = Number(text);
  if (n < field.min || n > field.max) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} ${n} is outside ${field.min}–${field.max}`);
  return n;
}

function _field(text: string, field: _Field, expr: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(part);
    if (!m) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} ${JSON.stringify(part)} is not a value, range or step`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} step 0`);
    let from: number;
    let to: number;
    if (m[1] === "*") {
      [from, to] = [field.min, field.max];
    } else if (m[1]!.includes("-")) {
      const [a, b, ...rest] = m[1]!.split("-");
      if (rest.length > 0 || !a || !b) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} ${JSON.stringify(part)} is not a range`);
      from = _value(a, field, expr);
      to = _value(b, field, expr);
      if (from > to) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} range ${JSON.stringify(m[1])} goes backwards`);
    } else {
      from = _value(m[1]!, field, expr);
      // `5/15` means from 5 to the end, every 15.
      to = m[2] === undefined ? from : field.max;
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

export function parseCron(expression: string): CronSchedule {
  const expr = expression.trim();
  const text = _SHORTHANDS[expr.toLowerCase()] ?? expr;
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) throw new CronError(`cron ${JSON.stringify(expr)}: expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => _field(p, _FIELDS[i]!, expr)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  if (weekdays.delete(7)) weekdays.add(0);
  const dayRestricted = !parts[2]!.startsWith("*");
  const weekdayRestricted = !parts[4]!.startsWith("*");
  return { minutes, hours, days, months, weekdays, eitherDay: dayRestricted && weekdayRestricted, dayRestricted, weekdayRestricted };
}

function _dayMatches(s: CronSchedule, date: Date): boolean {
  const day = s.days.has(date.getUTCDate());
  const weekday = s.weekdays.has(date.getUTCDay());
  if (s.eitherDay) return day || weekday;
  return (!s.dayRestricted || day) && (!s.weekdayRestricted || weekday);
}

/**
 * The first minute strictly after `afterMs` (UTC) the schedule runs at, in ms; undefined when it
 * never does within 5 years (`0 0 30 2 *`).
 */
export function nextRun(s: CronSchedule, afterMs: number): number | undefined {
  const d = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  const limit = afterMs + 5 * 366 * 86_400_000;
  while (d.getTime() <= limit) {
    if (!s.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!_dayMatches(s, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!s.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return d.getTime();
  }
  return undefined;
}
