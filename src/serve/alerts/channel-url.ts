/**
 * Channel URLs in the style beszel and Shoutrrr users know (`ntfy://host/topic`,
 * `smtp://user:pass@host:587/?from=…&to=…`): one string holds the service, its address and its
 * secret. Pure: text → a typed channel, or one line saying what is wrong. Secrets stay in the
 * parsed value; `display` is the URL with them replaced by *** for read APIs and logs.
 */
import { REDACTED } from "../../redact.ts";

export type ChannelKind = "webhook" | "ntfy" | "gotify" | "discord" | "slack" | "telegram" | "mqtt" | "smtp";

export const CHANNEL_KINDS: readonly ChannelKind[] = ["webhook", "ntfy", "gotify", "discord", "slack", "telegram", "mqtt", "smtp"];

export type ChannelTarget =
  | { kind: "webhook"; url: string }
  | { kind: "ntfy"; base: string; topic: string; user?: string; password?: string; token?: string; priority?: number; tags: string[] }
  | { kind: "gotify"; base: string; token: string; priority?: number }
  | { kind: "discord"; webhookId: string; token: string; username?: string }
  | { kind: "slack"; path: string }
  | { kind: "telegram"; token: string; chats: string[] }
  | { kind: "mqtt"; host: string; port: number; tls: boolean; topic: string; user?: string; password?: string; retain: boolean; clientId?: string }
  | { kind: "smtp"; host: string; port: number; implicitTls: boolean; user?: string; password?: string; from: string; to: string[]; subjectPrefix?: string };

export interface ParsedChannel {
  target: ChannelTarget;
  /** The URL with every secret as ***: what GET /api/channels and the log show. */
  display: string;
  /** The secrets inside the URL, so a server's echo of one is redacted too. */
  secrets: string[];
}

export class ChannelUrlError extends Error {
  override name = "ChannelUrlError";
}

const _fail = (url: string, why: string): never => {
  throw new ChannelUrlError(`channel ${_scheme(url)}: ${why}`);
};

function _scheme(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  return m ? `${m[1]!.toLowerCase()}://…` : JSON.stringify(url.slice(0, 40));
}

const _dec = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

function _priority(url: string, params: URLSearchParams, max: number): number | undefined {
  const text = params.get("priority");
  if (text === null) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) _fail(url, `priority ${JSON.stringify(text)}: expected a whole number from 1 to ${max}`);
  return n;
}

function _httpScheme(url: string, params: URLSearchParams): "https" | "http" {
  const scheme = params.get("scheme") ?? "https";
  if (scheme !== "https" && scheme !== "http") _fail(url, `scheme=${JSON.stringify(scheme)}: expected https or http`);
  return scheme as "https" | "http";
}

const _hostPort = (u: URL) => (u.port ? `${u.hostname}:${u.port}` : u.hostname);

const _emailLike = /^[^\s@<>,]+@[^\s@<>,]+$/;

/** A channel URL → its target, or a ChannelUrlError with one line naming the problem. */
export function parseChannelUrl(url: string): ParsedChannel {
  const text = url.trim();
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!schemeMatch) _fail(text, `expected a URL like ntfy://ntfy.sh/topic (kinds: ${CHANNEL_KINDS.join(", ")})`);
  const scheme = schemeMatch![1]!.toLowerCase();
  // discord://token@webhookid: a host of only digits is an IPv4 number to the URL parser, so this one is read by hand.
  if (scheme === "discord") return _discord(text);
  // WHATWG URL parses special schemes (http) differently from others: the rest is parsed as http so host, port and user parse alike.
  let u: URL;
  try {
    u = new URL(scheme.startsWith("webhook+") ? text.slice("webhook+".length) : `http://${text.slice(schemeMatch![0].length)}`);
  } catch {
    return _fail(text, "not a valid URL");
  }
  const params = u.searchParams;
  const path = u.pathname.split("/").filter(Boolean).map(_dec);
  const user = u.username ? _dec(u.username) : undefined;
  const password = u.password ? _dec(u.password) : undefined;
  const secret = (s: string | undefined) => (s ? [s] : []);

  switch (scheme) {
    case "webhook+https":
    case "webhook+http": {
      if (u.protocol !== "http:" && u.protocol !== "https:") _fail(text, "expected webhook+https://host/path");
      if (!u.hostname) _fail(text, "no host");
      // A webhook's path and query often are its secret (Discord, Slack, n8n): only the host is shown.
      const shown = `${scheme}://${_hostPort(u)}${u.pathname !== "/" || u.search ? `/${REDACTED}` : "/"}`;
      const secrets = [...path.filter((p) => p.length >= 6), ...[...params.values()].filter((p) => p.length >= 6), ...secret(user), ...secret(password)];
      return { target: { kind: "webhook", url: u.toString() }, display: shown, secrets };
    }
    case "ntfy": {
      if (!u.hostname) _fail(text, "no host: expected ntfy://host/topic");
      if (path.length !== 1) _fail(text, "expected exactly one topic in the path: ntfy://host/topic");
      const topic = path[0]!;
      if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic)) _fail(text, `topic ${JSON.stringify(topic)}: ntfy topics are letters, digits, - and _ (at most 64)`);
      const token = params.get("token") ?? undefined;
      const tags = (params.get("tags") ?? "").split(",").filter(Boolean);
      const base = `${_httpScheme(text, params)}://${_hostPort(u)}`;
      const shown = `ntfy://${user || password ? `${REDACTED}@` : ""}${_hostPort(u)}/${topic}${token ? `?token=${REDACTED}` : ""}`;
      return { target: { kind: "ntfy", base, topic, user, password, token, priority: _priority(text, params, 5), tags }, display: shown, secrets: [...secret(password), ...secret(token)] };
    }
    case "gotify": {
      if (!u.hostname) _fail(text, "no host: expected gotify://host/token");
      if (path.length < 1) _fail(text, "no application token: expected gotify://host/token");
      const token = path[path.length - 1]!;
      const prefix = path.slice(0, -1).map(encodeURIComponent).join("/");
      const base = `${_httpScheme(text, params)}://${_hostPort(u)}${prefix ? `/${prefix}` : ""}`;
      return { target: { kind: "gotify", base, token, priority: _priority(text, params, 10) }, display: `gotify://${_hostPort(u)}${prefix ? `/${prefix}` : ""}/${REDACTED}`, secrets: [token] };
    }
    case "slack": {
      // Shoutrrr's webhook form slack://hook:T…-B…-X…@webhook, or the older slack://T…/B…/X…
      // (the parts of https://hooks.slack.com/services/T…/B…/X…); URL parsing lower-cases a host, so the parts come from the text.
      const rest = text.slice(schemeMatch![0].length).split(/[?#]/)[0]!;
      const hook = /^hook:([^@]+)@webhook\/?$/.exec(rest);
      const parts = (hook ? _dec(hook[1]!).split("-") : rest.split("/").filter(Boolean).map(_dec));
      if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9]+$/.test(p))) _fail(text, "expected slack://hook:T00000000-B00000000-XXXXXXXX@webhook (the parts of https://hooks.slack.com/services/T…/B…/X…)");
      return { target: { kind: "slack", path: parts.join("/") }, display: `slack://hook:${REDACTED}@webhook`, secrets: [parts[2]!] };
    }
    case "telegram": {
      // Shoutrrr's form: telegram://<bot token>@telegram?chats=@channel,12345 (a bot token is 123456:ABC…).
      const token = user && password ? `${user}:${password}` : user;
      if (!token || !/^\d+:[\w-]+$/.test(token)) _fail(text, "expected telegram://<bot token>@telegram?chats=<chat id>,… (the token is like 123456:ABC-DEF…)");
      const chats = (params.get("chats") ?? params.get("channels") ?? "").split(",").map((c) => c.trim()).filter(Boolean);
      if (chats.length === 0) _fail(text, "no chats: add ?chats=<chat id or @channel>,…");
      return { target: { kind: "telegram", token: token!, chats }, display: `telegram://${REDACTED}@telegram?chats=${chats.join(",")}`, secrets: [token!] };
    }
    case "mqtt":
    case "mqtts": {
      if (!u.hostname) _fail(text, `no host: expected ${scheme}://host[:port]/topic`);
      const topic = path.join("/");
      if (!topic) _fail(text, `no topic: expected ${scheme}://host[:port]/topic`);
      if (/[#+]/.test(topic) || text.includes("#")) _fail(text, `topic ${JSON.stringify(topic)}: + and # are for subscribing, not publishing`);
      const port = u.port ? Number(u.port) : scheme === "mqtts" ? 8883 : 1883;
      const retain = params.get("retain") === "true" || params.get("retain") === "1";
      const shown = `${scheme}://${user || password ? `${REDACTED}@` : ""}${_hostPort(u)}/${topic}`;
      return { target: { kind: "mqtt", host: u.hostname, port, tls: scheme === "mqtts", topic, user, password, retain, clientId: params.get("clientid") ?? undefined }, display: shown, secrets: secret(password) };
    }
    case "smtp":
    case "smtps": {
      if (!u.hostname) _fail(text, `no host: expected ${scheme}://user:pass@host:port/?from=…&to=…`);
      const from = params.get("from") ?? params.get("fromaddress") ?? "";
      const to = (params.get("to") ?? params.get("toaddresses") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
      if (!_emailLike.test(from)) _fail(text, `from=${JSON.stringify(from)}: expected one address like alerts@example.org`);
      if (to.length === 0) _fail(text, "no recipients: add &to=a@example.org,b@example.org");
      for (const address of to) if (!_emailLike.test(address)) _fail(text, `to: ${JSON.stringify(address)} is not an address like a@example.org`);
      const implicitTls = scheme === "smtps";
      const port = u.port ? Number(u.port) : implicitTls ? 465 : 25;
      const shown = `${scheme}://${user || password ? `${REDACTED}@` : ""}${u.hostname}:${port}/?from=${from}&to=${to.join(",")}`;
      return { target: { kind: "smtp", host: u.hostname, port, implicitTls, user, password, from, to, subjectPrefix: params.get("subject") ?? undefined }, display: shown, secrets: secret(password) };
    }
    default:
      return _fail(text, `unknown kind; expected one of webhook+https, webhook+http, ${CHANNEL_KINDS.filter((k) => k !== "webhook").join(", ")}, mqtts, smtps`);
  }
}

function _discord(text: string): ParsedChannel {
  // Shoutrrr's form: discord://token@webhookid (the webhook URL is …/webhooks/<id>/<token>).
  const m = /^discord:\/\/([^@/?#]+)@([^/?#]+)\/?(?:\?(.*))?$/i.exec(text);
  if (!m) return _fail(text, "expected discord://token@webhookid (from https://discord.com/api/webhooks/<webhookid>/<token>)");
  const token = _dec(m[1]!);
  const webhookId = m[2]!;
  if (!/^\d+$/.test(webhookId)) _fail(text, `webhook id ${JSON.stringify(webhookId)}: expected digits`);
  const username = new URLSearchParams(m[3] ?? "").get("username") ?? undefined;
  return { target: { kind: "discord", webhookId, token, username }, display: `discord://${REDACTED}@${webhookId}`, secrets: [token] };
}
