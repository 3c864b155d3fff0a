// What every command shares (nuxt/cli keeps it in commands/_shared.ts): the typed seam between
// runCli's strict parser and a command's run, and the sink flags and report of push and spool flush.
import type { ArgsDef, CommandDef, CommandMeta, SubCommandsDef } from "citty";
import type { ParsedArgs } from "../argv.ts";
import { adHocFormat, adHocSinkOverride } from "../config/sinks.ts";
import type { ConfigOverride } from "../config/override.ts";
import type { Config } from "../config/schema.ts";
import { SINK_FORMATS } from "../config/sink-formats.ts";
import type { Context, GlobalFlags } from "../context.ts";
import type { PushResult } from "../deliver/push.ts";
import { ConfigError, ExitCode, UsageError, worstExitCode } from "../errors.ts";
import { redactUrl } from "../redact.ts";
import { parseMqttSinkUrl } from "../sinks/mqtt-url.ts";

/** What runCli hands every command besides its arguments: test seams for the Context. */
export interface CommandData {
  overrides?: Partial<Context>;
  /** Ends long-running commands (collect --watch, serve) instead of SIGINT/SIGTERM. */
  stop?: AbortSignal;
  /** The command line is this process's own (src/cli.ts), not a test's call: serve may execute itself again (runtime-options.ts). */
  processEntry?: boolean;
}

/** What a command's run returns: its exit code, and its data for tests that call it in-process. */
export interface CommandResult<D = unknown> {
  exitCode: number;
  data?: D;
}

type _Value<D> = D extends { repeatable: true }
  ? string[]
  : D extends { type: "boolean" }
    ? boolean
    : D extends { type: "enum"; options: readonly (infer U)[] }
      ? U
      : D extends { type: "positional"; variadic: true }
        ? string[]
        : string;

/**
 * A command's arguments as the parser hands them over: a flag not given is undefined unless it
 * has a default; a repeatable flag (`repeatable: true`) and a variadic positional are lists.
 */
export type CommandArgs<T extends ArgsDef> = {
  [K in keyof T]: T[K] extends { repeatable: true } | { type: "positional"; variadic: true } | { default: string | boolean } ? _Value<T[K]> : _Value<T[K]> | undefined;
};

export interface RunInput<T extends ArgsDef> {
  args: CommandArgs<T>;
  ctx: Context;
  data: CommandData;
}

type _Runner = (values: ParsedArgs, data: CommandData) => Promise<CommandResult>;
const _runners = new WeakMap<CommandDef<any>, _Runner>();

/**
 * A command: citty's definition (the tree, the help, the completions) with a run that receives
 * typed arguments and the Context built from them. runCli parses strictly (src/argv.ts) and calls
 * it through commandRunner.
 */
export function defineBagtowerCommand<const T extends ArgsDef>(def: {
  meta: CommandMeta;
  args: T;
  subCommands?: SubCommandsDef;
  run?: (input: RunInput<T>) => CommandResult | Promise<CommandResult>;
}): CommandDef<T> {
  const { run, ...rest } = def;
  const cmd: CommandDef<T> = rest;
  if (run) {
    // parseCommandArgs made the values from this same args definition, globalArgs included.
    // The Context (the home's paths, the logger, node:fs) loads when a command runs: --version and
    // --help, answered before this, need none of it.
    _runners.set(cmd, async (values, data) => {
      const { createContext } = await import("../context.ts");
      return run({ args: values as CommandArgs<T>, ctx: createContext(values as GlobalFlags, data.overrides), data });
    });
  }
  return cmd;
}

/** The run of a command made by defineBagtowerCommand; undefined for a group (spool, cron). */
export function commandRunner(cmd: CommandDef<any>): _Runner | undefined {
  return _runners.get(cmd);
}

/** Sink flags shared by push and spool flush. */
export const sinkArgs = {
  server: { type: "string", valueHint: "URL", description: "Push to this server instead of config.json's sinks, with its own queue (BAGTOWER_SERVER)" },
  format: { type: "enum", options: [...SINK_FORMATS] as string[], valueHint: "FORMAT", description: "Wire format for --server (default bagtower, or mqtt for mqtt(s)://)" },
  "api-key": { type: "string", valueHint: "KEY", description: "API key for --server (BAGTOWER_API_KEY)" },
  database: { type: "string", valueHint: "DB", description: "Influx 1.x database for --server" },
  org: { type: "string", valueHint: "ORG", description: "Influx 2 organisation for --server" },
  bucket: { type: "string", valueHint: "BUCKET", description: "Influx 2 bucket for --server (selects /api/v2/write)" },
  "device-id": { type: "string", valueHint: "ID", description: "The device id the server knows this device by" },
} as const satisfies ArgsDef;

/**
 * --database picks an Influx 1.x database, --org and --bucket an Influx 2 bucket: given to another
 * format, or both kinds at once, one of them would be ignored without a word.
 */
function _checkInfluxFlags(args: Partial<Record<keyof typeof sinkArgs, string>>): void {
  const given = (["database", "org", "bucket"] as const).filter((flag) => args[flag] !== undefined);
  // Without --format the URL decides (mqtt:// is mqtt), else bagtower.
  const format = args.server !== undefined ? adHocFormat(args.format, args.server) : (args.format ?? "bagtower");
  if (given.length && format !== "influx") {
    throw new UsageError(`--${given[0]} applies to --format influx only, not ${format}${args.format ? "" : " (the default)"}; drop it or add --format influx`);
  }
  if (args.database !== undefined && given.length > 1) {
    throw new UsageError(`--database (Influx 1.x) and --${given[1]} (Influx 2) name different APIs: pass --database DB, or --org ORG --bucket BUCKET`);
  }
  if (args.org !== undefined && args.bucket === undefined) throw new UsageError("--org needs --bucket (Influx 2 writes to a bucket of an organisation)");
}

export function sinkOverrides(args: Partial<Record<keyof typeof sinkArgs, string>>): ConfigOverride[] {
  const overrides: ConfigOverride[] = [];
  if (args["device-id"] !== undefined) overrides.push({ path: "deviceId", value: args["device-id"], source: "--device-id" });
  if (args.server === undefined) {
    for (const flag of ["format", "api-key", "database", "org", "bucket"] as const) {
      if (args[flag] !== undefined) throw new ConfigError(`--${flag} needs --server URL (sinks in config.json carry their own settings)`);
    }
  }
  // A topic with + or # is a mistake in the command line, said before anything is spooled for it.
  if (args.server !== undefined && adHocFormat(args.format, args.server) === "mqtt") {
    try {
      parseMqttSinkUrl(args.server.trim());
    } catch (error) {
      throw new UsageError(`--server ${redactUrl(args.server)}: ${(error as Error).message}`);
    }
  }
  _checkInfluxFlags(args);
  overrides.push(
    ...adHocSinkOverride({ server: args.server, format: args.format, apiKey: args["api-key"], database: args.database, org: args.org, bucket: args.bucket }, "--server"),
  );
  return overrides;
}

export function requireSinks(config: Config): void {
  if (config.sinks.length === 0) {
    throw new ConfigError("no sink to push to: pass --server URL (and --api-key KEY), set BAGTOWER_SERVER, or add sinks to config.json");
  }
}

/** What a person checks when a server refuses a sink's configuration. */
function _refusalHint(status: number | undefined): string {
  if (status === 401 || status === 403) return "check --api-key (or the sink's apiKey/headers in config.json) and that the URL is this server's";
  return "check the URL (--server or the sink's url: host, port and path) and --format";
}

/** One line per sink on stderr, and the exit code: 78 > 65 > 75 > 0 (SPEC §1, §6). */
export function reportPush(ctx: Context, result: Pick<PushResult, "results" | "lockedBy" | "periodSeconds">): number {
  if (!result.results) {
    ctx.log.info(`another bagtower run${result.lockedBy ? ` (pid ${result.lockedBy})` : ""} is delivering; this record is spooled and goes with it or the next run`);
    return ExitCode.ok;
  }
  const codes: number[] = [];
  for (const r of result.results) {
    if (r.refused) {
      ctx.log.error(`sink ${r.sink}: ${r.refused.url} answered ${r.refused.message}: ${r.refused.hint ?? _refusalHint(r.refused.status)}; ${r.remaining} record(s) stay in the spool`);
      codes.push(ExitCode.config);
      continue;
    }
    const extras = [
      r.rejected && `${r.rejected} rejected`,
      r.expired && `${r.expired} expired`,
      r.rateLimited && `${r.rateLimited} dropped by the rate limit`,
      r.corrupt && `${r.corrupt} corrupt`,
    ].filter(Boolean);
    const line = `${r.sink}: delivered ${r.sent}${extras.length ? `, ${extras.join(", ")}` : ""}; ${r.remaining} in the spool`;
    if (r.held) {
      ctx.log.warn(`${line}: ${r.held}`);
      codes.push(ExitCode.tempFail);
    } else {
      ctx.log.info(line);
    }
    if (r.rejected > 0) {
      ctx.log.warn(`${r.sink}: the server refused ${r.rejected} record(s) for good; they are in ${r.rejectedDir} (bagtower spool list --rejected; after a fix: bagtower spool requeue --sink ${r.sink} --all)`);
      codes.push(ExitCode.dataErr);
    }
  }
  if (result.periodSeconds !== undefined) ctx.log.info(`the server sets the push period to ${result.periodSeconds} s`);
  return worstExitCode(codes);
}
