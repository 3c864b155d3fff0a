import { defineCommand, type ArgsDef } from "citty";
import { globalArgs } from "../argv.ts";
import { writeFileAtomic } from "../atomic-file.ts";
import { runCollect } from "../collect/run.ts";
import { loadConfig, readConfigFile } from "../config/load.ts";
import type { ConfigOverride } from "../config/override.ts";
import { SINK_FORMATS, type Config } from "../config/schema.ts";
import { adHocDestination, adHocSinkOverride } from "../config/sinks.ts";
import { adoptQueue } from "../deliver/adopt-queue.ts";
import type { Context } from "../context.ts";
import { selfMetrics } from "../deliver/self-metrics.ts";
import { runPush, type PushResult } from "../deliver/push.ts";
import { ConfigError, ExitCode, worstExitCode } from "../errors.ts";
import { contextFor, type CommandData } from "./shared.ts";
import { applyServerPeriod, shouldSkipCronRun, writeLastPush } from "../cron/manage.ts";
import { rotateLog } from "../log-file.ts";

/** Sink flags shared by push and spool flush. */
export const sinkArgs = {
  server: { type: "string", valueHint: "URL", description: "Push to this server instead of config.json's sinks, with its own queue (BAGTOWER_SERVER)" },
  format: { type: "enum", options: [...SINK_FORMATS] as string[], valueHint: "FORMAT", description: "Wire format for --server (default bagtower)" },
  "api-key": { type: "string", valueHint: "KEY", description: "API key for --server (BAGTOWER_API_KEY)" },
  database: { type: "string", valueHint: "DB", description: "Influx 1.x database for --server" },
  org: { type: "string", valueHint: "ORG", description: "Influx 2 organisation for --server" },
  bucket: { type: "string", valueHint: "BUCKET", description: "Influx 2 bucket for --server (selects /api/v2/write)" },
  "device-id": { type: "string", valueHint: "ID", description: "The device id the server knows this device by" },
} as const satisfies ArgsDef;

export function sinkOverrides(args: Record<string, unknown>): ConfigOverride[] {
  const text = (key: string) => (typeof args[key] === "string" ? (args[key] as string) : undefined);
  const overrides: ConfigOverride[] = [];
  if (text("device-id") !== undefined) overrides.push({ path: "deviceId", value: text("device-id"), source: "--device-id" });
  if (text("server") === undefined) {
    for (const flag of ["format", "api-key", "database", "org", "bucket"]) {
      if (text(flag) !== undefined) throw new ConfigError(`--${flag} needs --server URL (sinks in config.json carry their own settings)`);
    }
  }
  overrides.push(
    ...adHocSinkOverride(
      { server: text("server"), format: text("format"), apiKey: text("api-key"), database: text("database"), org: text("org"), bucket: text("bucket") },
      "--server",
    ),
  );
  return overrides;
}

export function requireSinks(config: Config): void {
  if (config.sinks.length === 0) {
    throw new ConfigError("no sink to push to: pass --server URL (and --api-key KEY), set BAGTOWER_SERVER, or add sinks to config.json");
  }
}

/** A sink of config.json as written (not yet validated): its name and destination, when it has them. */
function _savedSink(value: unknown): { name: string; destination: string } | undefined {
  const sink = value as Record<string, unknown> | null;
  if (!sink || typeof sink.name !== "string" || typeof sink.url !== "string") return undefined;
  const text = (key: string) => (typeof sink[key] === "string" ? (sink[key] as string) : undefined);
  return { name: sink.name, destination: adHocDestination({ server: sink.url, database: text("database"), org: text("org"), bucket: text("bucket") }) };
}

/**
 * `--save`: stores the device id and the ad-hoc sink in config.json, keeping everything else. A
 * sink config.json had for the same server under another name hands its queue over.
 */
export function saveConfig(ctx: Context, config: Config, args: Record<string, unknown>): void {
  const file = readConfigFile(ctx.paths.config, false);
  if (args["device-id"] !== undefined) file.deviceId = config.deviceId;
  if (args.server !== undefined) {
    const before = Array.isArray(file.sinks) ? file.sinks.map(_savedSink) : [];
    for (const sink of config.sinks) {
      const destination = adHocDestination({ server: sink.url, database: sink.database, org: sink.org, bucket: sink.bucket });
      for (const old of before) {
        if (!old || old.name === sink.name || old.destination !== destination || !/^[A-Za-z0-9_-]{1,64}$/.test(old.name)) continue;
        const moved = adoptQueue(ctx, old.name, sink.name);
        if (moved > 0) ctx.log.info(`moved ${moved} spooled record(s) of sink ${old.name} (the same server) into ${sink.name}`);
      }
    }
    file.sinks = config.sinks;
  }
  writeFileAtomic(ctx.paths.config, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  ctx.log.info(`saved to ${ctx.paths.config}`);
}

/** What a person checks when a server refuses a sink's configuration. */
function _refusalHint(status: number): string {
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
      ctx.log.error(`sink ${r.sink}: ${r.refused.url} answered ${r.refused.message}: ${_refusalHint(r.refused.status)}; ${r.remaining} record(s) stay in the spool`);
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

/** One line for `cron status`. */
export function pushSummary(result: PushResult): string {
  if (!result.results) return "another run was delivering; the record was left in the spool for it";
  return result.results
    .map((r) => `${r.sink}: ${r.sent} delivered, ${r.remaining} spooled${r.rejected ? `, ${r.rejected} rejected` : ""}${r.held ? ` (${r.held})` : ""}`)
    .join("; ");
}

export async function pushCommand(ctx: Context, config: Config): Promise<{ result: PushResult; code: number }> {
  requireSinks(config);
  const collected = await runCollect(ctx, config);
  const record = { ...collected, meta: { ...collected.meta, self: selfMetrics(ctx, config.sinks) } };
  const result = await runPush(ctx, config, record);
  return { result, code: reportPush(ctx, result) };
}

export default defineCommand({
  meta: { name: "push", description: "Collect, spool the record, deliver everything spooled, adopt the server's period" },
  args: {
    ...globalArgs,
    ...sinkArgs,
    save: { type: "boolean", description: "Store --server, --api-key, --device-id … in config.json" },
    cron: { type: "boolean", description: "Run as the crontab line does: timestamped log lines, bounded log, period skip" },
    json: { type: "boolean", description: "Print the delivery result as JSON on stdout" },
  },
  async run({ args, data }) {
    const ctx = contextFor(args, data as CommandData);
    if (args.cron) {
      rotateLog(ctx.paths.log);
      if (shouldSkipCronRun(ctx)) return ExitCode.ok;
    }
    const config = loadConfig(ctx, sinkOverrides(args));
    if (args.save) saveConfig(ctx, config, args);
    const { result, code } = await pushCommand(ctx, config);
    writeLastPush(ctx, { atMs: ctx.now(), exitCode: code, summary: pushSummary(result) });
    if (result.periodSeconds !== undefined) applyServerPeriod(ctx, result.periodSeconds);
    if (args.json) {
      const { record, ...rest } = result;
      ctx.write(`${JSON.stringify({ recordId: record.meta.recordId, ...rest })}\n`);
    }
    return code;
  },
});
