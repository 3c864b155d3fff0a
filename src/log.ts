import type { ConsolaInstance, LogObject } from "consola/core";
import { writeStderr } from "./output.ts";

/** The methods bagtower logs with; consola's instance behind them (its level filter and its throttle). */
export type Logger = Pick<ConsolaInstance, "error" | "warn" | "info" | "debug">;

/** Log levels: --quiet shows errors only, --verbose adds debug lines. */
export function logLevel(flags: { verbose?: boolean; quiet?: boolean }): number {
  if (flags.quiet) return 0;
  if (flags.verbose) return 4;
  return 3;
}

const _labels: Record<string, string> = { fatal: "error", error: "error", warn: "warn", debug: "debug", trace: "trace" };

function _consola(level: number, write: (line: string) => void): ConsolaInstance {
  const { createConsola } = require("consola/core") as typeof import("consola/core");
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

/**
 * consola writing to stderr only, one plain line per message (stdout carries data: `collect | jq`
 * must always work, and cron mails or logs stderr as it is). consola loads with the first message:
 * a run that logs nothing (collect, most of the time) does not pay its ~1 ms and 2 MiB at start.
 */
export function createLogger(level: number, write: (line: string) => void = writeStderr): Logger {
  let instance: ConsolaInstance | undefined;
  const get = () => (instance ??= _consola(level, write));
  // A message below the level is dropped here, as consola would, without loading it.
  return {
    error: (message: unknown, ...args: unknown[]) => get().error(message, ...args),
    warn: (message: unknown, ...args: unknown[]) => void (level >= 1 && get().warn(message, ...args)),
    info: (message: unknown, ...args: unknown[]) => void (level >= 3 && get().info(message, ...args)),
    debug: (message: unknown, ...args: unknown[]) => void (level >= 4 && get().debug(message, ...args)),
  } as Logger;
}

/** For logs that land in a file (cron runs): each line starts with the time. */
export function timestamped(write: (line: string) => void, now: () => number = Date.now): (line: string) => void {
  return (line) => write(`${new Date(now()).toISOString()} ${line}`);
}
