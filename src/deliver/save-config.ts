import { writeFileAtomic } from "../atomic-file.ts";
import { readConfigFile } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { adHocDestination } from "../config/sinks.ts";
import type { Context } from "../context.ts";
import { adoptQueue } from "./adopt-queue.ts";

/** A sink of config.json as written (not yet validated): its name and destination, when it has them. */
function _savedSink(value: unknown): { name: string; destination: string } | undefined {
  const sink = value as Record<string, unknown> | null;
  if (!sink || typeof sink.name !== "string" || typeof sink.url !== "string") return undefined;
  const text = (key: string) => (typeof sink[key] === "string" ? (sink[key] as string) : undefined);
  return { name: sink.name, destination: adHocDestination({ server: sink.url, database: text("database"), org: text("org"), bucket: text("bucket") }) };
}

/**
 * `push --save`: stores the device id and the ad-hoc sink in config.json, keeping everything else. A
 * sink config.json had for the same server under another name hands its queue over.
 */
export function saveConfig(ctx: Context, config: Config, what: { deviceId: boolean; sinks: boolean }): void {
  const file = readConfigFile(ctx.paths.config, false);
  if (what.deviceId) file.deviceId = config.deviceId;
  if (what.sinks) {
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
