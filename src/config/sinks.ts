import { redactUrl } from "../redact.ts";
import type { ConfigOverride } from "./override.ts";

/** The ad-hoc sink of `push --server URL [--format F] [--api-key K] …` or BAGTOWER_SERVER. */
export interface AdHocSink {
  server?: string;
  format?: string;
  apiKey?: string;
  database?: string;
  org?: string;
  bucket?: string;
}

/**
 * Where an ad-hoc sink delivers, written the same way however it was spelled: the URL without
 * credentials, fragment or trailing slashes, plus the Influx database/org/bucket that pick the
 * destination inside one server. Credentials stay out so a rotated key keeps the same queue.
 */
export function adHocDestination(adHoc: AdHocSink & { server: string }): string {
  let url = adHoc.server.trim();
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.hash = "";
    parsed.pathname = parsed.pathname.replace(/\/+$/, "");
    url = redactUrl(parsed.toString());
  } catch {
    // not a URL: the config schema refuses it with its own message
  }
  const extra = (["database", "org", "bucket"] as const).filter((k) => adHoc[k] !== undefined).map((k) => ` ${k}=${adHoc[k]}`);
  return url.replace(/\/+$/, "") + extra.join("");
}

/**
 * The sink name of an ad-hoc server, and so its spool queue: `<host>-<8 hex>`, the host with
 * anything but letters and digits as `_`, and 8 hex digits of sha256(destination). Records spooled
 * for one server therefore never go to another; `--save` stores the sink under the same name so
 * the queue carries on.
 */
export function adHocSinkName(adHoc: AdHocSink & { server: string }): string {
  const destination = adHocDestination(adHoc);
  let host = "server";
  try {
    host = new URL(adHoc.server).host.replace(/[^A-Za-z0-9]+/g, "_").slice(0, 40) || host;
  } catch {
    // keep "server"
  }
  return `${host}-${new Bun.CryptoHasher("sha256").update(destination).digest("hex").slice(0, 8)}`;
}

/** The format of an ad-hoc server: the one given, else mqtt for an mqtt(s):// URL, else bagtower. */
export function adHocFormat(format: string | undefined, server: string): string {
  return format ?? (/^mqtts?:\/\//i.test(server.trim()) ? "mqtt" : "bagtower");
}

/** An ad-hoc server replaces the configured sinks for this run, as one sink named by adHocSinkName. */
export function adHocSinkOverride(adHoc: AdHocSink, source: string): ConfigOverride[] {
  if (!adHoc.server) return [];
  const server = adHoc.server;
  const sink: Record<string, string> = { name: adHocSinkName({ ...adHoc, server }), format: adHocFormat(adHoc.format, server), url: server };
  for (const key of ["apiKey", "database", "org", "bucket"] as const) if (adHoc[key] !== undefined) sink[key] = adHoc[key]!;
  return [{ path: "sinks", value: [sink], source }];
}

export function envAdHocSink(env: Readonly<Record<string, string | undefined>>): ConfigOverride[] {
  return adHocSinkOverride(
    { server: env.BAGTOWER_SERVER || undefined, format: env.BAGTOWER_FORMAT || undefined, apiKey: env.BAGTOWER_API_KEY || undefined },
    "BAGTOWER_SERVER",
  );
}
