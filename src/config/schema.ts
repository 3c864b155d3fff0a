import * as v from "valibot";
import { deviceIdSchema } from "../record/device-id-rules.ts";
import { labelsSchema } from "../record/labels.ts";
import { retentionSchema } from "../serve/tsdb/tiers.ts";
import { parseMqttSinkUrl } from "../sinks/mqtt-url.ts";
import { SINK_FORMATS } from "./sink-formats.ts";

const _int = (min: number, max: number, what = "a whole number") =>
  v.pipe(
    v.number(`expected ${what}`),
    v.integer(`expected ${what}`),
    v.minValue(min, `expected ${what} ≥ ${min}`),
    v.maxValue(max, `expected ${what} ≤ ${max}`),
  );

/** A limit where −1 means "no limit" (telemetrics-client's convention). */
const _limit = v.union(
  [v.literal(-1), v.pipe(v.number(), v.integer(), v.minValue(1))],
  "expected −1 (off) or a whole number ≥ 1",
);

const _text = (what: string) => v.pipe(v.string(`expected ${what}`), v.trim(), v.nonEmpty(`expected ${what}`));

export { SINK_FORMATS };

const _unknown = "unknown field (see the config reference in docs/CONFIGURATION.md)";

const _sinkFields = v.strictObject(
  {
    name: v.pipe(v.string("expected a string"), v.regex(/^[A-Za-z0-9_-]{1,64}$/, "expected 1–64 letters, digits, '_' or '-'")),
    format: v.picklist(SINK_FORMATS, `expected one of ${SINK_FORMATS.join(", ")}`),
    url: v.pipe(v.string("expected a URL"), v.url("expected an http(s) URL"), v.regex(/^(https?|mqtts?):\/\//i, "expected an http(s) URL (mqtt:// or mqtts:// for format mqtt)")),
    apiKey: v.optional(_text("a non-empty API key")),
    headers: v.optional(v.record(v.string(), v.string(), "expected an object of header strings")),
    database: v.optional(_text("a database name")),
    org: v.optional(_text("an organisation name")),
    bucket: v.optional(_text("a bucket name")),
    /** The telemetrics form: 3, a JSON body (telemetrics-client 2.4 and later); 2, headers (older backends). */
    telemetricsVersion: v.optional(v.picklist([2, 3], "expected 2 or 3")),
    // mqtts:// brokers: trusted certificates (PEM) besides the system's, e.g. a self-signed broker's.
    caFile: v.optional(_text("a path to a PEM file")),
  },
  _unknown,
);

/** An mqtt sink has an mqtt(s):// URL with a topic prefix it may publish to; every other format an http(s) one. */
function _sinkUrlProblem(sink: v.InferOutput<typeof _sinkFields>): string | undefined {
  const mqttUrl = /^mqtts?:\/\//i.test(sink.url);
  if (sink.format !== "mqtt") return mqttUrl ? `format ${sink.format} needs an http(s) URL; for an MQTT broker use format mqtt` : undefined;
  try {
    parseMqttSinkUrl(sink.url);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const sinkSchema = v.pipe(
  _sinkFields,
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = _sinkUrlProblem(dataset.value);
    if (problem) addIssue({ message: problem, path: [{ type: "object", origin: "value", input: dataset.value, key: "url", value: dataset.value.url }] });
  }),
);

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
        _unknown,
      ),
      {},
    ),
    collect: v.optional(
      v.strictObject(
        {
          cpuSampleMs: v.optional(_int(10, 10_000), 250),
          timeoutMs: v.optional(_int(50, 120_000), 2000),
          rootfs: v.optional(_text("a directory path"), "/"),
        },
        _unknown,
      ),
      {},
    ),
    spool: v.optional(
      v.strictObject(
        {
          maxSizeKb: v.optional(_int(16, 1 << 30, "a number"), 5120),
          expiryMinutes: v.optional(_int(1, 5_256_000), 10_080),
          whenFull: v.optional(v.picklist(["drop-oldest", "drop-new"], "expected drop-oldest or drop-new"), "drop-oldest"),
        },
        _unknown,
      ),
      {},
    ),
    rateLimit: v.optional(
      v.strictObject(
        {
          enabled: v.optional(v.boolean("expected true or false"), true),
          recordBurstLimit: v.optional(_limit, 1000),
          recordWindowMinutes: v.optional(_int(1, 60), 15),
          byteBurstLimit: v.optional(_limit, -1),
          byteWindowMinutes: v.optional(_int(1, 60), 20),
          strategy: v.optional(v.picklist(["spool", "drop"], "expected spool or drop"), "spool"),
        },
        _unknown,
      ),
      {},
    ),
    http: v.optional(
      v.strictObject(
        {
          timeoutMs: v.optional(_int(100, 300_000), 10_000),
          retries: v.optional(_int(0, 10), 2),
          compress: v.optional(v.boolean("expected true or false"), true),
        },
        _unknown,
      ),
      {},
    ),
    flush: v.optional(v.strictObject({ maxPerRun: v.optional(_int(1, 1_000_000), 500) }, _unknown), {}),
    serve: v.optional(
      v.strictObject(
        {
          forward: v.optional(
            v.pipe(
              v.array(sinkSchema, "expected an array of sinks to forward to"),
              v.check((sinks) => sinks.every((s) => s.format !== "mqtt"), "format mqtt is a device's sink (push), not a forward target"),
            ),
            [],
          ),
          // The text of serve's --retention (which overrides it): "30d" or "raw=30d,5m=90d,1h=2y".
          retention: v.optional(retentionSchema),
          // Alert rules (docs/ALERTS.md): expressions, or {expr, name?, id?}; serve checks the expressions.
          rules: v.optional(
            v.array(
              v.union(
                [
                  v.string(),
                  v.strictObject(
                    {
                      expr: v.string("expected a rule expression such as cpu > 80 for 10m"),
                      name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(100, "expected at most 100 characters"))),
                      id: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "expected 1–64 lower-case letters, digits, '_' or '-'"))),
                    },
                    _unknown,
                  ),
                ],
                "expected a rule expression or {expr, name, id}",
              ),
              "expected an array of alert rules",
            ),
            [],
          ),
          // Notification channels (docs/NOTIFICATIONS.md); the notifier validates each entry at start.
          channels: v.optional(v.array(v.looseObject({ url: v.string("expected a channel URL") }, "expected a channel {url, rules?, labels?, quietHours?, resendInterval?}"), "expected a list of channels"), []),
          // The receiver's cardinality caps (docs/LIMITS.md); serve's --max-* flags override them.
          limits: v.optional(
            v.strictObject(
              {
                devicesPerKey: v.optional(_int(1, 10_000_000)),
                itemsPerDevice: v.optional(_int(1, 100_000)),
                labelsPerDevice: v.optional(_int(0, 10_000)),
                labelLength: v.optional(_int(1, 65_536)),
                wsClients: v.optional(_int(0, 100_000)),
              },
              _unknown,
            ),
            {},
          ),
        },
        _unknown,
      ),
      {},
    ),
  },
  _unknown,
);

export type Config = v.InferOutput<typeof configSchema>;
export type SinkConfig = Config["sinks"][number];
