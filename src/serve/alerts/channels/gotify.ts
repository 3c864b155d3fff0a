// gotify://host/token: POST /message with the application token in X-Gotify-Key and {title, message, priority}
// (https://gotify.net/docs/pushmsg).
import type { ChannelTarget } from "../channel-url.ts";
import { postJson } from "./http.ts";
import type { ChannelSend } from "./types.ts";

export const sendGotify: ChannelSend<Extract<ChannelTarget, { kind: "gotify" }>> = (target, message, io) => {
  const critical = message.transitions.some((t) => t.severity === "critical") && message.kind !== "resolved";
  return postJson(io, `${target.base}/message`, { title: message.title, message: message.text, priority: target.priority ?? (message.kind === "resolved" || message.kind === "test" ? 4 : critical ? 8 : 6) }, { "X-Gotify-Key": target.token });
};
