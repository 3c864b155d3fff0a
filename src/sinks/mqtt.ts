/**
 * The `mqtt` sink: the newest record of each device as Home Assistant sensors (formats/home-assistant.ts),
 * over one MQTT session per flush. Every message goes at QoS 1 and the records leave the spool only
 * once the broker acknowledged all of them. The retained discovery configs go when they are new or
 * changed, and once a day anyway (a broker restarted without persistence forgets them); a config
 * set is some 500 bytes a sensor, so sending it every push would cost a metered link more than
 * the states.
 */
import { readFileSync } from "node:fs";
import * as v from "valibot";
import type { Config, SinkConfig } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { readCronState } from "../cron/manage.ts";
import { errorMessage } from "../errors.ts";
import { encodeHomeAssistant, type MqttMessage } from "../formats/home-assistant.ts";
import type { EncodeOptions } from "../formats/types.ts";
import { isSettingsRefusal, mqttPublishAll } from "../mqtt/client.ts";
import { CONNACK_REFUSALS } from "../mqtt/packets.ts";
import type { BagtowerRecord } from "../record/schema.ts";
import { readState, writeState } from "../state.ts";
import { backoffMs, MAX_WAIT_IN_RUN_MS } from "./http.ts";
import { parseMqttSinkUrl } from "./mqtt-url.ts";
import type { DeliveryOutcome, Transport } from "./transport.ts";

/** Discovery configs are sent again after this long even when unchanged. */
export const DISCOVERY_REFRESH_MS = 24 * 3600_000;

/** What was last published per device node: a hash of its discovery configs, and when. */
const _publishedSchema = v.object({ devices: v.record(v.string(), v.object({ hash: v.string(), atMs: v.number() })) });
type _Published = v.InferOutput<typeof _publishedSchema>;

export const mqttStateFile = (sink: string) => `mqtt-${sink}.json`;

/** The newest record of each device, oldest device first: HA shows the current state, older ones would land as history stamped with the arrival time. */
export function newestPerDevice(records: BagtowerRecord[]): BagtowerRecord[] {
  const newest = new Map<string, BagtowerRecord>();
  for (const record of records) {
    const key = record.deviceId ?? record.meta.hostname;
    const seen = newest.get(key);
    if (!seen || record.unixTimestamp >= seen.unixTimestamp) newest.set(key, record);
  }
  return [...newest.values()];
}

/** Errors of the TLS handshake that a retry cannot fix: the broker's certificate is not trusted or not for this host. */
function _certificateError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code);
}

export function mqttTransport(ctx: Context, config: Config, sink: SinkConfig, options: EncodeOptions): Transport {
  const address = parseMqttSinkUrl(sink.url);
  // The period the crontab runs at; without cron, the receiver's (or the default) period.
  const periodS = readCronState(ctx)?.periodSeconds ?? Math.round(options.pollingIntervalMs / 1000);
  const random01 = () => new DataView(ctx.randomBytes(4).buffer).getUint32(0) / 2 ** 32;

  return {
    batch: () => Number.MAX_SAFE_INTEGER,
    newestOnly: true,
    prepare(records) {
      const published: _Published = readState(ctx.paths.state, mqttStateFile(sink.name), _publishedSchema) ?? { devices: {} };
      const now = ctx.now();
      const messages: MqttMessage[] = [];
      const sent: _Published["devices"] = {};
      for (const record of newestPerDevice(records)) {
        const encoded = encodeHomeAssistant(record, { prefix: address.prefix, discoveryPrefix: address.discoveryPrefix, expireAfterS: 2 * periodS });
        const hash = new Bun.CryptoHasher("sha256").update(encoded.discovery.map((m) => `${m.topic}\n${m.payload}`).join("\n")).digest("hex");
        const last = published.devices[encoded.node];
        // Configs before the state, so HA knows the sensors when their first value arrives.
        if (!last || last.hash !== hash || now - last.atMs >= DISCOVERY_REFRESH_MS) {
          messages.push(...encoded.discovery);
          sent[encoded.node] = { hash, atMs: now };
        }
        messages.push(encoded.state);
      }
      const bytes = messages.reduce((sum, m) => sum + Buffer.byteLength(m.topic) + Buffer.byteLength(m.payload), 0);

      async function once(ca: string | undefined): Promise<DeliveryOutcome> {
        try {
          await mqttPublishAll(
            {
              host: address.host,
              port: address.port,
              tls: address.tls,
              user: address.user,
              password: address.password,
              clientId: `bagtower-${Buffer.from(ctx.randomBytes(6)).toString("hex")}`,
              timeoutMs: config.http.timeoutMs,
              ca,
            },
            messages,
          );
          return { kind: "accepted", status: 0, text: "" };
        } catch (error) {
          const where = `mqtt ${address.host}:${address.port}`;
          if (isSettingsRefusal(error)) {
            const hint = error.code === 1 ? "the broker does not speak MQTT 3.1.1 (mosquitto, EMQX, HiveMQ and HA's add-on do)" : "check the user name and password in the URL (mqtt://user:pass@host/prefix) and the broker's ACL";
            return { kind: "refused", message: `CONNACK ${error.code} (${CONNACK_REFUSALS[error.code] ?? "refused"})`, hint };
          }
          if (_certificateError(error)) return { kind: "refused", message: `TLS: ${errorMessage(error)}`, hint: "trust the broker's certificate with the sink's caFile (a PEM file) or use its host name as in the certificate" };
          const code = (error as { code?: unknown }).code;
          return { kind: "retryable", message: `${where}: ${typeof code === "string" ? code : errorMessage(error)}` };
        }
      }

      return {
        bytes,
        target: sink.url,
        async send() {
          let ca: string | undefined;
          if (sink.caFile !== undefined) {
            try {
              ca = readFileSync(sink.caFile, "utf8");
            } catch (error) {
              return { kind: "refused", message: `caFile ${sink.caFile}: ${(error as { code?: string }).code ?? errorMessage(error)}`, hint: "point the sink's caFile at a readable PEM file" };
            }
          }
          for (let attempt = 0; ; attempt++) {
            const outcome = await once(ca);
            if (outcome.kind === "accepted") {
              writeState(ctx.paths.state, mqttStateFile(sink.name), { devices: { ...published.devices, ...sent } } satisfies _Published);
            }
            if (outcome.kind !== "retryable" || attempt >= config.http.retries) return outcome;
            const delay = Math.min(backoffMs(attempt, random01()), MAX_WAIT_IN_RUN_MS);
            ctx.log.debug(`retrying in ${delay} ms: ${outcome.message}`);
            await ctx.sleep(delay);
          }
        },
      };
    },
  };
}
