import * as v from "valibot";
import { deviceIdSchema } from "../record/device-id-rules.ts";
import { labelsSchema } from "../record/labels.ts";
import { intField, limitField, textField, UNKNOWN_FIELD } from "./fields.ts";
import type { ServeConfig } from "./serve-schema.ts";
import { sinkSchema } from "./sink-schema.ts";
import { SINK_FORMATS } from "./sink-formats.ts";

export { SINK_FORMATS };

/**
 * The serve section is loaded and built when a config has one (serve's own defaults come from
 * serveConfig()): on a device, collect and push never pay for alert rules and channels.
 */
const _serveSection = v.lazy((): v.GenericSchema<unknown, ServeConfig> => (require("./serve-schema.ts") as typeof import("./serve-schema.ts")).serveConfigSchema);

export const configSchema = v.strictObject(
  {
    deviceId: v.optional(deviceIdSchema),
    tags: v.optional(labelsSchema("tag"), {}),
    sinks: v.optional(
      v.pipe(
        v.array(sinkSchema, "expected an array of sinks"),
        v.check((sinks) => new Set(sinks.map((s) => s.name)).size === sinks.length, "expected unique sink names"),
      ),
      [],
    ),
    items: v.optional(
      v.strictObject(
        {
          disable: v.optional(v.array(v.string(), "expected an array of item ids"), []),
          only: v.optional(v.nullable(v.array(v.string(), "expected an array of item ids or null")), null),
        },
        UNKNOWN_FIELD,
      ),
      {},
    ),
    collect: v.optional(
      v.strictObject(
        {
          cpuSampleMs: v.optional(intField(10, 10_000), 250),
          timeoutMs: v.optional(intField(50, 120_000), 2000),
          rootfs: v.optional(textField("a directory path"), "/"),
        },
        UNKNOWN_FIELD,
      ),
      {},
    ),
    spool: v.optional(
      v.strictObject(
        {
          maxSizeKb: v.optional(intField(16, 1 << 30, "a number"), 5120),
          expiryMinutes: v.optional(intField(1, 5_256_000), 10_080),
          whenFull: v.optional(v.picklist(["drop-oldest", "drop-new"], "expected drop-oldest or drop-new"), "drop-oldest"),
        },
        UNKNOWN_FIELD,
      ),
      {},
    ),
    rateLimit: v.optional(
      v.strictObject(
        {
          enabled: v.optional(v.boolean("expected true or false"), true),
          recordBurstLimit: v.optional(limitField, 1000),
          recordWindowMinutes: v.optional(intField(1, 60), 15),
          byteBurstLimit: v.optional(limitField, -1),
          byteWindowMinutes: v.optional(intField(1, 60), 20),
          strategy: v.optional(v.picklist(["spool", "drop"], "expected spool or drop"), "spool"),
        },
        UNKNOWN_FIELD,
      ),
      {},
    ),
    http: v.optional(
      v.strictObject(
        {
          timeoutMs: v.optional(intField(100, 300_000), 10_000),
          retries: v.optional(intField(0, 10), 2),
          compress: v.optional(v.boolean("expected true or false"), true),
        },
        UNKNOWN_FIELD,
      ),
      {},
    ),
    flush: v.optional(v.strictObject({ maxPerRun: v.optional(intField(1, 1_000_000), 500) }, UNKNOWN_FIELD), {}),
    serve: v.optional(_serveSection),
  },
  UNKNOWN_FIELD,
);

export type Config = v.InferOutput<typeof configSchema>;
export type SinkConfig = Config["sinks"][number];
