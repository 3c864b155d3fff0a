// slack://hook:T…-B…-X…@webhook: an incoming webhook, POST /services/T…/B…/X… with {text} (Slack answers "ok").
import type { ChannelTarget } from "../channel-url.ts";
import { clip } from "../message.ts";
import { postJson } from "./http.ts";
import type { ChannelSend } from "./types.ts";

export const sendSlack: ChannelSend<Extract<ChannelTarget, { kind: "slack" }>> = (target, message, io) =>
  postJson(io, `${io.endpoints.slack}/services/${target.path}`, { text: clip(`*${message.title}*\n${message.text}`, 3900) });
