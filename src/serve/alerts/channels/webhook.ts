// webhook+https://host/path: POST of the documented JSON body (message.ts messageJson), or of the channel's template.
import { messageJson, renderTemplate } from "../message.ts";
import type { ChannelTarget } from "../channel-url.ts";
import { postBody } from "./http.ts";
import type { ChannelSend } from "./types.ts";

export const sendWebhook: ChannelSend<Extract<ChannelTarget, { kind: "webhook" }>> = (target, message, io) =>
  postBody(io, target.url, io.template ? renderTemplate(io.template, message) : JSON.stringify(messageJson(message)), { "Content-Type": "application/json" });
