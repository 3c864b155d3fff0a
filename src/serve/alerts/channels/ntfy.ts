// ntfy://[user:pass@]host/topic: ntfy's JSON publishing (POST to the server's root with topic, title,
// message, priority, tags), which carries any text, unlike its header form (https://docs.ntfy.sh/publish/#publish-as-json).
import type { ChannelTarget } from "../channel-url.ts";
import { clip } from "../message.ts";
import { postJson } from "./http.ts";
import type { ChannelSend } from "./types.ts";

// ntfy's priorities: 1 min … 3 default … 5 max (urgent).
const _PRIORITY = { firing: 4, resend: 4, resolved: 3, test: 3 } as const;
const _TAGS = { firing: "rotating_light", resend: "rotating_light", resolved: "white_check_mark", test: "test_tube" } as const;

export const sendNtfy: ChannelSend<Extract<ChannelTarget, { kind: "ntfy" }>> = (target, message, io) => {
  const headers: Record<string, string> = {};
  if (target.token) headers.Authorization = `Bearer ${target.token}`;
  else if (target.user !== undefined) headers.Authorization = `Basic ${Buffer.from(`${target.user}:${target.password ?? ""}`).toString("base64")}`;
  const critical = message.transitions.some((t) => t.severity === "critical") && message.kind !== "resolved";
  return postJson(
    io,
    `${target.base}/`,
    {
      topic: target.topic,
      title: message.title,
      // ntfy keeps at most 4,096 bytes of a message as text.
      message: clip(message.text, 3900),
      priority: target.priority ?? (critical ? 5 : _PRIORITY[message.kind]),
      tags: [_TAGS[message.kind], ...target.tags],
    },
    headers,
  );
};
