// The sink flags of push and spool flush (--server, --format, --api-key …), the config overrides they
// make, and the one line per sink both commands print.
import type { ArgsDef } from "citty";
import { adHocFormat, adHocSinkOverride } from "../config/sinks.ts";
import type { ConfigOverride } from "../config/override.ts";
import type { Config } from "../config/schema.ts";
import { SINK_FORMATS } from "../config/sink-formats.ts";
import type { Context } from "../context.ts";
import type { PushResult } from "../deliver/push.ts";
import { ConfigError, ExitCode, UsageError, worstExitCode } from "../errors.ts";
import { redactUrl } from "../redact.ts";
import { parseMqttSinkUrl } from "../sinks/mqtt-url.ts";

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
