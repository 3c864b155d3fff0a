import { createConsola, type ConsolaInstance, type LogObject } from "consola/core";
import { writeStderr } from "./output.ts";

export type Logger = ConsolaInstance;

/** Log levels: --quiet shows errors only, --verbose adds debug lines. */
export function logLevel(flags: { verbose?: boolean; quiet?: boolean }): number {
  if (flags.quiet) return 0;
  if (flags.verbose) return 4;
  return 3;
}

const _labels: Record<string, string> = { fatal: "error", error: "error", warn: "warn", debug: "debug", trace: "trace" };

/**
 * consola writing to stderr only, one plain line per message (stdout carries data: `collect | jq`
 * must always work, and cron mails or logs stderr as it is).
 */
export function createLogger(level: number, write: (line: string) => void = writeStderr): Logger {
  return createConsola({
    level,
    reporters: [
      {
        log(entry: LogObject) {
          const label = _labels[entry.type];
          const text = entry.args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(" ");
          write(`${label ? `${label}: ` : ""}${text}\n`);
        },
      },
    ],
  });
}

/** For logs that land in a file (cron runs): each line starts with the time. */
export function timestamped(write: (line: string) => void, now: () => number = Date.now): (line: string) => void {
  return (line) => write(`${new Date(now()).toISOString()} ${line}`);
}
