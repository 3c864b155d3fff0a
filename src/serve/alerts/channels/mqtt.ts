// mqtt://[user:pass@]host[:port]/topic, mqtts:// over TLS: the webhook's JSON body published at QoS 1 (src/mqtt/client.ts).
import { errorMessage } from "../../../errors.ts";
import { mqttPublish } from "../../../mqtt/client.ts";
import type { ChannelTarget } from "../channel-url.ts";
import { messageJson } from "../message.ts";
import type { ChannelSend } from "./types.ts";

export const sendMqtt: ChannelSend<Extract<ChannelTarget, { kind: "mqtt" }>> = async (target, message, io) => {
  try {
    await mqttPublish({
      host: target.host,
      port: target.port,
      tls: target.tls,
      topic: target.topic,
      payload: JSON.stringify(messageJson(message)),
      user: target.user,
      password: target.password,
      retain: target.retain,
      clientId: target.clientId ?? `bagtower-${io.now().toString(36)}`,
      timeoutMs: io.timeoutMs,
      signal: io.signal,
      ca: io.tlsCa,
    });
    return { kind: "sent", detail: "PUBACK" };
  } catch (error) {
    const detail = errorMessage(error);
    // A refused login or client id does not get better by retrying.
    return /refused the connection: (bad user|not authorized|client identifier)/.test(detail) ? { kind: "rejected", detail } : { kind: "retry", detail };
  }
};
