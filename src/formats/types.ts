// Wire-format encoder contract shared by every format of SPEC §7 (pattoo, Datadog, Influx, Prometheus, telemetrics).
import type { BagtowerRecord } from "../record/schema.ts";

/** What an encoder needs beyond the records; no clock, no config object, so encoders stay pure. */
export interface EncodeOptions {
  pattooAgentId: string;
  pollingIntervalMs: number;
  /** The telemetrics form: 3 (default) one JSON body, as telemetrics-client 2.4 and later post; 2 the fields as headers, for older backends. */
  telemetricsVersion?: 2 | 3;
}

/**
 * One request body, uncompressed: the HTTP layer compresses (gzip for Influx, zlib deflate for
 * Datadog) and the sink layer builds the URL, so both can change without touching an encoder.
 */
export interface Encoded {
  body: string;
  contentType: string;
  headers: Record<string, string>;
}

export type Encoder = (records: BagtowerRecord[], options: EncodeOptions) => Encoded;
