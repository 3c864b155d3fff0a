import { runCollect } from "../../collect/run.ts";
import { DEVICE_ID_PATTERN, type Config } from "../../config/schema.ts";
import type { Context } from "../../context.ts";
import { runPush } from "../../deliver/push.ts";
import { selfMetrics } from "../../deliver/self-metrics.ts";
import { errorMessage } from "../../errors.ts";
import type { Job } from "./schedule.ts";

/** The device id of this machine's own records: config's, else its hostname (a machine id rotates every 3 days). */
export function selfDeviceId(config: Config, hostname: string): string | undefined {
  if (config.deviceId) return config.deviceId;
  const cleaned = hostname.replace(/[^A-Za-z0-9._:-]/g, "-").slice(0, 128);
  return DEVICE_ID_PATTERN.test(cleaned) ? cleaned : undefined;
}

/** serve --push-self: collects this machine and pushes it to this receiver, as a device would. */
export function selfPushJob(ctx: Context, base: Config, url: string, apiKey: string, everyMs: number): Job {
  const config: Config = { ...base, sinks: [{ name: "self", format: "bagtower", url, apiKey }] };
  let running = false;
  return {
    name: "self-push",
    everyMs,
    atStart: true,
    async run() {
      if (running) return;
      running = true;
      try {
        const collected = await runCollect(ctx, config);
        const deviceId = selfDeviceId(config, collected.meta.hostname);
        const record = { ...collected, ...(deviceId ? { deviceId } : {}), meta: { ...collected.meta, self: selfMetrics(ctx, config.sinks) } };
        const result = await runPush(ctx, config, record);
        const held = result.results?.find((r) => r.held)?.held;
        if (held) ctx.log.warn(`self push: ${held}`);
      } catch (error) {
        ctx.log.warn(`self push failed: ${errorMessage(error)}`);
      } finally {
        running = false;
      }
    },
  };
}
