/**
 * How a batch of spooled records reaches a sink, whatever carries it: HTTP for the wire formats of
 * wire.ts, an MQTT session for Home Assistant. flush.ts sees only this: how many records go at once,
 * what a batch costs the rate limiter, and an outcome it can act on.
 */
import type { Config, SinkConfig } from "../config/schema.ts";
import type { Context } from "../context.ts";
import type { EncodeOptions } from "../formats/types.ts";
import type { BagtowerRecord } from "../record/schema.ts";
import { createSender, isConfigRefusal, type Outcome } from "./http.ts";
import { mqttTransport } from "./mqtt.ts";
import { wirePlans, type WirePlan } from "./wire.ts";

export type DeliveryOutcome =
  | Extract<Outcome, { kind: "accepted" | "retryable" }>
  | { kind: "rejected"; status?: number; message: string }
  /**
   * The sink's configuration is wrong (HTTP 401/403/404/405, a refused MQTT login, an untrusted
   * certificate): every record would fail the same way, so all stay spooled and the run exits 78.
   */
  | { kind: "refused"; status?: number; message: string; hint?: string };

export interface Delivery {
  /** What the rate limiter counts for this batch. */
  bytes: number;
  /** Where it goes, for the refusal line (flush redacts it). */
  target: string;
  send(): Promise<DeliveryOutcome>;
}

export interface Transport {
  /** Records per delivery. */
  batch(state: { batchMax: number | null }): number;
  /** Only the newest record matters: older ones are superseded when it is delivered. */
  newestOnly?: boolean;
  prepare(records: BagtowerRecord[]): Delivery;
}

function _http(ctx: Context, config: Config, sink: SinkConfig, options: EncodeOptions, plan: WirePlan): Transport {
  const send = createSender(ctx, config.http);
  return {
    batch: plan.batch,
    newestOnly: plan.newestOnly,
    prepare(records) {
      const request = plan.request(records, sink, options);
      return {
        bytes: Buffer.byteLength(request.body),
        target: request.url,
        async send() {
          const outcome = await send(request, plan.accepts);
          return outcome.kind === "rejected" && isConfigRefusal(outcome.status) ? { ...outcome, kind: "refused" } : outcome;
        },
      };
    },
  };
}

export function transportFor(ctx: Context, config: Config, sink: SinkConfig, options: EncodeOptions): Transport {
  const format = sink.format;
  if (format === "mqtt") return mqttTransport(ctx, config, sink, options);
  return _http(ctx, config, sink, options, wirePlans[format]);
}
