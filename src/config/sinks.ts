import type { ConfigOverride } from "./load.ts";

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
 * An ad-hoc server replaces the configured sinks for this run, as one sink named `default` (the
 * name `--save` stores it under, so its spool is the same queue either way).
 */
export function adHocSinkOverride(adHoc: AdHocSink, source: string): ConfigOverride[] {
  if (!adHoc.server) return [];
  const sink: Record<string, string> = { name: "default", format: adHoc.format ?? "bagtower", url: adHoc.server };
  for (const key of ["apiKey", "database", "org", "bucket"] as const) if (adHoc[key] !== undefined) sink[key] = adHoc[key]!;
  return [{ path: "sinks", value: [sink], source }];
}

export function envAdHocSink(env: Readonly<Record<string, string | undefined>>): ConfigOverride[] {
  return adHocSinkOverride(
    { server: env.BAGTOWER_SERVER || undefined, format: env.BAGTOWER_FORMAT || undefined, apiKey: env.BAGTOWER_API_KEY || undefined },
    "BAGTOWER_SERVER",
  );
}
