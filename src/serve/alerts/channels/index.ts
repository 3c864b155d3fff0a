/** Every channel kind's sender: an explicit map, one file per service. */
import type { ChannelTarget } from "../channel-url.ts";
import type { AlertMessage } from "../message.ts";
import { sendDiscord } from "./discord.ts";
import { sendGotify } from "./gotify.ts";
import { sendMqtt } from "./mqtt.ts";
import { sendNtfy } from "./ntfy.ts";
import { sendSlack } from "./slack.ts";
import { sendSmtp } from "./smtp.ts";
import { sendTelegram } from "./telegram.ts";
import type { ChannelIo, DeliveryOutcome } from "./types.ts";
import { sendWebhook } from "./webhook.ts";

export function sendToChannel(target: ChannelTarget, message: AlertMessage, io: ChannelIo): Promise<DeliveryOutcome> {
  switch (target.kind) {
    case "webhook":
      return sendWebhook(target, message, io);
    case "ntfy":
      return sendNtfy(target, message, io);
    case "gotify":
      return sendGotify(target, message, io);
    case "discord":
      return sendDiscord(target, message, io);
    case "slack":
      return sendSlack(target, message, io);
    case "telegram":
      return sendTelegram(target, message, io);
    case "mqtt":
      return sendMqtt(target, message, io);
    case "smtp":
      return sendSmtp(target, message, io);
  }
}
