// discord://token@webhookid: POST /api/webhooks/{id}/{token} with {content} (at most 2,000 characters),
// as Discord's "Execute Webhook" documents.
import type { ChannelTarget } from "../channel-url.ts";
import { clip } from "../message.ts";
import { postJson } from "./http.ts";
import type { ChannelSend } from "./types.ts";

export const sendDiscord: ChannelSend<Extract<ChannelTarget, { kind: "discord" }>> = (target, message, io) =>
  postJson(io, `${io.endpoints.discord}/api/webhooks/${encodeURIComponent(target.webhookId)}/${encodeURIComponent(target.token)}`, {
    content: clip(`**${message.title}**\n${message.text}`, 2000),
    ...(target.username ? { username: target.username } : {}),
    // No @everyone or role pings from an alert's text.
    allowed_mentions: { parse: [] },
  });
