// The crontab entry (SPEC §8), as pure functions: period → schedule, and the whole line.

/** The marker that identifies our line; every other line of the user's crontab is left alone. */
export const CRON_MARKER = "# bagtower";

export interface Schedule {
  /** The five cron fields. */
  fields: string;
  /** The period cron cannot express: the line runs every minute and `push --cron` skips until it has passed. */
  everyMinute: boolean;
}

/** A stable offset in [0, modulo) from the machine id, so a fleet does not push at the same minute. */
export function offsetFrom(machineId: string, modulo: number): number {
  let h = 0;
  for (const ch of machineId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % modulo;
}

/**
 * Minutes when the period is whole minutes dividing 60 (`7-59/10 * * * *`), hours when whole hours
 * dividing 24 (minute 7 of every 6th hour), otherwise every minute with the skip done by push.
 */
export function scheduleFor(periodSeconds: number, machineId: string): Schedule {
  const minute = offsetFrom(machineId, 60);
  if (periodSeconds % 60 === 0) {
    const minutes = periodSeconds / 60;
    if (minutes === 1) return { fields: "* * * * *", everyMinute: false };
    if (minutes < 60 && 60 % minutes === 0) {
      const start = offsetFrom(machineId, minutes);
      return { fields: `${start}-59/${minutes} * * * *`, everyMinute: false };
    }
    if (minutes % 60 === 0) {
      const hours = minutes / 60;
      if (hours === 1) return { fields: `${minute} * * * *`, everyMinute: false };
      if (hours <= 24 && 24 % hours === 0) return { fields: `${minute} */${hours} * * *`, everyMinute: false };
    }
  }
  return { fields: "* * * * *", everyMinute: true };
}

/** POSIX shell single quoting: a home with spaces or quotes stays one argument. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The whole line: the absolute binary, `push --cron`, its output appended to the bounded log. */
export function cronLine(schedule: Schedule, binary: string, home: string, logFile: string): string {
  return `${schedule.fields} ${shellQuote(binary)} push --cron --home ${shellQuote(home)} >> ${shellQuote(logFile)} 2>&1 ${CRON_MARKER}`;
}

export function isOurLine(line: string): boolean {
  return line.trimEnd().endsWith(CRON_MARKER);
}

/**
 * The crontab with our line put in place: replaces the first line of ours where it stands (later
 * duplicates are removed), or appends it; `undefined` removes it. Every other line, comment and
 * blank line stays byte for byte, in order.
 */
export function withOurLine(crontab: string, line: string | undefined): string {
  const lines = crontab === "" ? [] : crontab.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  let placed = false;
  for (const current of lines) {
    if (!isOurLine(current)) out.push(current);
    else if (!placed && line !== undefined) {
      out.push(line);
      placed = true;
    }
  }
  if (!placed && line !== undefined) out.push(line);
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

export function findOurLine(crontab: string): string | undefined {
  return crontab.split("\n").find(isOurLine);
}

/** Human form of a period: 600 → "10m", 7200 → "2h", 90 → "90s". */
export function formatPeriod(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
