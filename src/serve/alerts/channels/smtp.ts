// smtp://user:pass@host:port/?from=…&to=…: one plain-text mail to every recipient (src/smtp/client.ts).
import { errorMessage } from "../../../errors.ts";
import { sendMail, SmtpError } from "../../../smtp/client.ts";
import type { ChannelTarget } from "../channel-url.ts";
import type { ChannelSend } from "./types.ts";

export const sendSmtp: ChannelSend<Extract<ChannelTarget, { kind: "smtp" }>> = async (target, message, io) => {
  const domain = target.from.split("@")[1] ?? "localhost";
  try {
    const detail = await sendMail({
      ...target,
      subject: target.subjectPrefix ? `${target.subjectPrefix} ${message.title}` : message.title,
      text: `${message.text}\n\n-- \nbagtower serve`,
      helo: domain,
      now: io.now,
      messageId: `${io.now().toString(36)}.${Math.random().toString(36).slice(2)}@${domain}`,
      timeoutMs: io.timeoutMs,
      signal: io.signal,
      ca: io.tlsCa,
    });
    return { kind: "sent", detail };
  } catch (error) {
    // RFC 5321 §4.2.1: 5yz is permanent, 4yz (and a lost connection) is worth another try.
    if (error instanceof SmtpError && error.code >= 500) return { kind: "rejected", detail: error.message };
    return { kind: "retry", detail: errorMessage(error) };
  }
};
