/**
 * What one notification says: the transitions of one group (same rule, same change) as a title,
 * a short text for chat services, and the JSON body of webhooks and MQTT (docs/NOTIFICATIONS.md).
 * Pure, so every channel words an alert the same way.
 */
import type { AlertTransition } from "./transition.ts";

export type MessageKind = "firing" | "resolved" | "resend" | "test";

export interface AlertMessage {
  kind: MessageKind;
  title: string;
  text: string;
  transitions: AlertTransition[];
}

/** The most devices a text lists by name; a group of 1,000 names the first ones and counts the rest. */
export const MAX_LISTED = 25;

const _label: Record<MessageKind, string> = { firing: "FIRING", resolved: "RESOLVED", resend: "STILL FIRING", test: "TEST" };

export function buildMessage(kind: MessageKind, transitions: AlertTransition[]): AlertMessage {
  const first = transitions[0]!;
  const devices = [...new Set(transitions.map((t) => t.deviceId))];
  const who = devices.length === 1 ? devices[0]! : `${devices.length} devices`;
  const title = kind === "test" ? "bagtower: test notification" : `[${_label[kind]}] ${first.ruleName}: ${who}`;
  const lines = transitions.slice(0, MAX_LISTED).map((t) => `${t.state === "resolved" ? "resolved" : t.severity}: ${t.summary}`);
  if (transitions.length > MAX_LISTED) lines.push(`… and ${transitions.length - MAX_LISTED} more`);
  return { kind, title, text: lines.join("\n"), transitions };
}

/** A transition that is no alert, for "send test". */
export function testTransition(nowMs: number, channelId: number): AlertTransition {
  return {
    alertId: 0,
    ruleId: "test",
    ruleName: "test",
    severity: "info",
    deviceId: "bagtower",
    labels: {},
    state: "firing",
    value: null,
    at: Math.floor(nowMs / 1000),
    summary: `a test of channel ${channelId} from bagtower serve: if you read this, alerts reach you here`,
  };
}

/**
 * The documented JSON body (webhooks, MQTT): every field of the group's first transition at the top
 * level, so a receiver that handles one alert needs no loop, then the whole group.
 */
export function messageJson(message: AlertMessage): Record<string, unknown> {
  return { ...message.transitions[0]!, kind: message.kind, title: message.title, message: message.text, count: message.transitions.length, group: message.transitions };
}

/**
 * A webhook template: `{{name}}` becomes the JSON encoding of that field of messageJson (quotes
 * included, so the result stays valid JSON), e.g. `{"content": {{message}}}`.
 */
export function renderTemplate(template: string, message: AlertMessage): string {
  const fields = messageJson(message);
  return template.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (_, name: string) => JSON.stringify(fields[name] ?? null));
}

/** Text cut to a service's limit, on a line when it can be. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 2);
  const line = cut.lastIndexOf("\n");
  return `${line > max / 2 ? cut.slice(0, line) : cut}\n…`;
}
