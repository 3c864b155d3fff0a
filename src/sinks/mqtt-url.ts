/**
 * The address of an MQTT sink: `mqtt://[user:pass@]host[:port][/prefix][?discovery=homeassistant]`,
 * `mqtts://` over TLS (8883 unless a port is given). The path is the topic prefix of the state
 * topics (`bagtower` when empty); `discovery` is Home Assistant's discovery prefix. Pure: the
 * config schema and `--server` both check a URL with it.
 */

export interface MqttSinkAddress {
  host: string;
  port: number;
  tls: boolean;
  user?: string;
  password?: string;
  /** Topic levels before `<device>/state`, without leading or trailing `/`. */
  prefix: string;
  discoveryPrefix: string;
}

export const DEFAULT_STATE_PREFIX = "bagtower";
export const DEFAULT_DISCOVERY_PREFIX = "homeassistant";

const _decode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** A topic prefix we may publish under (MQTT 3.1.1 §4.7): no wildcards, no NUL, not a `$` broker topic. */
function _checkPrefix(prefix: string, what: string): void {
  if (/[+#]/.test(prefix)) throw new Error(`${what} ${JSON.stringify(prefix)}: + and # are wildcards for subscribing, not topic names to publish to`);
  if (prefix.includes("\u0000")) throw new Error(`${what}: a NUL character is not allowed in a topic`);
  if (prefix.startsWith("$")) throw new Error(`${what} ${JSON.stringify(prefix)}: topics starting with $ belong to the broker`);
  if (Buffer.byteLength(prefix) > 200) throw new Error(`${what}: longer than 200 bytes`);
}

/** Throws one line naming what is wrong. */
export function parseMqttSinkUrl(text: string): MqttSinkAddress {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== "mqtt" && scheme !== "mqtts") throw new Error("expected mqtt://[user:pass@]host[:port]/prefix or mqtts://… for format mqtt");
  // A `#` would otherwise silently become the URL's fragment and vanish from the topic.
  if (text.includes("#")) throw new Error("the topic prefix: + and # are wildcards for subscribing, not topic names to publish to");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${scheme}:// URL that does not parse: expected ${scheme}://[user:pass@]host[:port]/prefix`);
  }
  if (!url.hostname) throw new Error(`no host: expected ${scheme}://[user:pass@]host[:port]/prefix`);
  const prefix = _decode(url.pathname).replace(/^\/+|\/+$/g, "") || DEFAULT_STATE_PREFIX;
  _checkPrefix(prefix, "the topic prefix");
  const params = new URLSearchParams(url.search);
  for (const name of params.keys()) if (name !== "discovery") throw new Error(`unknown parameter ?${name}= (the one parameter is ?discovery=PREFIX, Home Assistant's discovery prefix)`);
  const discoveryPrefix = (params.get("discovery") ?? DEFAULT_DISCOVERY_PREFIX).replace(/^\/+|\/+$/g, "");
  if (!discoveryPrefix) throw new Error("?discovery= is empty: expected Home Assistant's discovery prefix (homeassistant)");
  _checkPrefix(discoveryPrefix, "the discovery prefix");
  const tls = scheme === "mqtts";
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : tls ? 8883 : 1883,
    tls,
    ...(url.username ? { user: _decode(url.username) } : {}),
    ...(url.password ? { password: _decode(url.password) } : {}),
    prefix,
    discoveryPrefix,
  };
}
