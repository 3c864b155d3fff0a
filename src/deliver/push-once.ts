// One collect-and-deliver turn, as `bagtower push` and serve --push-self run it.
import { runCollect } from "../collect/run.ts";
import type { Config } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { applyServerPeriod, writeLastPush } from "../cron/manage.ts";
import { errorMessage } from "../errors.ts";
import { toDeviceId } from "../record/device-id-rules.ts";
import { runPush, type PushResult } from "./push.ts";
import { selfMetrics } from "./self-metrics.ts";

/** One line for `cron status`. */
export function pushSummary(result: PushResult): string {
  if (!result.results) return "another run was delivering; the record was left in the spool for it";
  return result.results
    .map((r) => `${r.sink}: ${r.sent} delivered, ${r.remaining} spooled${r.rejected ? `, ${r.rejected} rejected` : ""}${r.held ? ` (${r.held})` : ""}`)
    .join("; ");
}

/**
 * `bagtower push`: collect, spool, deliver everything spooled. `report` prints the outcome and
 * gives the exit code; the outcome is kept for `cron status`, and a period the server sets goes
 * into the crontab line.
 */
export async function pushOnce(ctx: Context, config: Config, report: (result: PushResult) => number): Promise<{ result: PushResult; exitCode: number }> {
  const collected = await runCollect(ctx, config);
  const record = { ...collected, meta: { ...collected.meta, self: selfMetrics(ctx, config.sinks) } };
  const result = await runPush(ctx, config, record);
  const exitCode = report(result);
  writeLastPush(ctx, { atMs: ctx.now(), exitCode, summary: pushSummary(result) });
  if (result.periodSeconds !== undefined) applyServerPeriod(ctx, result.periodSeconds);
  return { result, exitCode };
}

/** The device id of this machine's own records: config's, else its hostname (a machine id rotates every 3 days). */
export function selfDeviceId(config: Config, hostname: string): string | undefined {
  return config.deviceId ?? toDeviceId(hostname);
}

/** What one self push delivered: the device id it pushed as and the period the receiver answered. */
export interface SelfPushed {
  deviceId?: string;
  periodSeconds?: number;
}

/** serve --push-self: collects this machine and pushes it to the receiver at `url`, as a device would; never throws. */
export function selfPusher(ctx: Context, base: Config): (url: string, apiKey: string) => Promise<SelfPushed | undefined> {
  return async (url, apiKey) => {
    const config: Config = { ...base, sinks: [{ name: "self", format: "bagtower", url, apiKey }] };
    try {
      const collected = await runCollect(ctx, config);
      const deviceId = selfDeviceId(config, collected.meta.hostname);
      const record = { ...collected, ...(deviceId ? { deviceId } : {}), meta: { ...collected.meta, self: selfMetrics(ctx, config.sinks) } };
      const result = await runPush(ctx, config, record);
      const held = result.results?.find((r) => r.held)?.held;
      if (held) ctx.log.warn(`self push: ${held}`);
      return { deviceId: record.deviceId, periodSeconds: result.periodSeconds };
    } catch (error) {
      ctx.log.warn(`self push failed: ${errorMessage(error)}`);
      return undefined;
    }
  };
}
