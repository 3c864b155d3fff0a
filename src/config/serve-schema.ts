// config.json's `serve` section: forward targets, retention, alert rules, notification channels and
// the receiver's caps. Built on first use (src/config/schema.ts loads it lazily): a device's collect
// and push validate a config without one and never pay for it.
import * as v from "valibot";
import { retentionSchema } from "../serve/tsdb/tiers.ts";
import { intField, UNKNOWN_FIELD } from "./fields.ts";
import { sinkSchema } from "./sink-schema.ts";

export const serveConfigSchema = v.strictObject(
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
              UNKNOWN_FIELD,
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
          devicesPerKey: v.optional(intField(1, 10_000_000)),
          itemsPerDevice: v.optional(intField(1, 100_000)),
          labelsPerDevice: v.optional(intField(0, 10_000)),
          labelLength: v.optional(intField(1, 65_536)),
          wsClients: v.optional(intField(0, 100_000)),
        },
        UNKNOWN_FIELD,
      ),
      {},
    ),
  },
  UNKNOWN_FIELD,
);

export type ServeConfig = v.InferOutput<typeof serveConfigSchema>;

/** The serve section as serve uses it: the file's, or the defaults when config.json has none. */
export function serveConfig(section: ServeConfig | undefined): ServeConfig {
  return section ?? v.parse(serveConfigSchema, {});
}
