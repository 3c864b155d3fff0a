// telegram://token@telegram?chats=…: the Bot API's sendMessage, POST /bot<token>/sendMessage with {chat_id, text},
// once per chat; the message counts as sent when every chat has it.
import type { ChannelTarget } from "../channel-url.ts";
import { clip } from "../message.ts";
import { postJson } from "./http.ts";
import type { ChannelSend, DeliveryOutcome } from "./types.ts";

export const sendTelegram: ChannelSend<Extract<ChannelTarget, { kind: "telegram" }>> = async (target, message, io) => {
  const details: string[] = [];
  let worst: DeliveryOutcome | undefined;
  for (const chat of target.chats) {
    // A Telegram message holds at most 4,096 characters.
    const outcome = await postJson(io, `${io.endpoints.telegram}/bot${target.token}/sendMessage`, { chat_id: chat, text: clip(`${message.title}\n${message.text}`, 4096), disable_web_page_preview: true });
    details.push(`${chat}: ${outcome.detail}`);
    if (outcome.kind !== "sent" && (!worst || outcome.kind === "retry")) worst = outcome;
  }
  return worst ? { ...worst, detail: details.join("; ") } : { kind: "sent", detail: details.join("; ") };
};
