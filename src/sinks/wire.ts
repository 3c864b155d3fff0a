import type { SinkConfig } from "../config/schema.ts";
import { encodeBagtower } from "../formats/bagtower.ts";
import { encoders } from "../formats/index.ts";
import { REMOTE_WRITE_HEADERS, remoteWriteBody } from "../formats/remote-write.ts";
import type { EncodeOptions } from "../formats/types.ts";
import type { BagtowerRecord } from "../record/schema.ts";
import type { WireRequest } from "./http.ts";

/** How one wire format travels (SPEC §7): batch size, request, and what counts as success. */
export interface WirePlan {
  /** Records per request. */
  batch(state: { batchMax: number | null }): number;
  request(records: BagtowerRecord[], sink: SinkConfig, options: EncodeOptions): WireRequest;
  accepts(status: number): boolean;
  /** Only the newest record matters (a Pushgateway group holds the last value): older ones are superseded. */
  newestOnly?: boolean;
}

const _2xx = (status: number) => status >= 200 && status < 300;

/** `https://api.example/prod` + `/logs`, without doubling or losing the slash. */
export function joinUrl(base: string, path: string, query?: Record<string, string | undefined>): string {
  const url = new URL(base.replace(/\/+$/, "") + path);
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

/**
 * Header sets merged left to right, names compared without case: a sink's `x-telemetry-tid` must
 * replace the encoder's `X-Telemetry-TID`, not travel next to it as a second value.
 */
export function mergeHeaders(...sets: (Record<string, string> | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const set of sets) {
    for (const [name, value] of Object.entries(set ?? {})) {
      for (const key of Object.keys(out)) if (key.toLowerCase() === name.toLowerCase()) delete out[key];
      out[name] = value;
    }
  }
  return out;
}

function _json(sink: SinkConfig): Record<string, string> {
  return mergeHeaders({ "Content-Type": "application/json" }, sink.headers);
}

/** The formats that travel over HTTP; mqtt has its own transport (src/sinks/mqtt.ts). */
export type HttpSinkFormat = Exclude<SinkConfig["format"], "mqtt">;

export const wirePlans: Record<HttpSinkFormat, WirePlan> = {
  bagtower: {
    batch: (state) => Math.max(1, Math.min(state.batchMax ?? 1, 1000)),
    request: (records, sink) => ({
      method: "POST",
      url: joinUrl(sink.url, "/logs"),
      headers: {
        ..._json(sink),
        ...(sink.apiKey ? { "x-api-key": sink.apiKey } : {}),
        // The receiver may also deduplicate whole requests; for a batch the key covers its records.
        "Idempotency-Key": records.length === 1 ? records[0]!.meta.recordId : new Bun.CryptoHasher("sha256").update(records.map((r) => r.meta.recordId).join(",")).digest("base64url"),
      },
      body: encodeBagtower(records),
    }),
    accepts: _2xx,
  },
  pattoo: {
    batch: () => 1,
    request: (records, sink, options) => ({
      method: "POST",
      url: joinUrl(sink.url, `/pattoo/api/v1/agent/receive/${options.pattooAgentId}`),
      // A stock pattoo server ignores the header; bagtower serve needs it unless --pattoo-open.
      headers: mergeHeaders({ "Content-Type": "application/json" }, sink.apiKey ? { "x-api-key": sink.apiKey } : undefined, sink.headers),
      body: encoders.pattoo(records, options).body,
    }),
    accepts: (status) => status === 200,
  },
  datadog: {
    batch: () => 100,
    request: (records, sink, options) => ({
      method: "POST",
      url: joinUrl(sink.url, "/api/v1/series"),
      headers: { ..._json(sink), ...(sink.apiKey ? { "DD-API-KEY": sink.apiKey } : {}) },
      body: encoders.datadog(records, options).body,
      compression: "deflate",
    }),
    accepts: _2xx,
  },
  influx: {
    // A record is a line per label set (~8 kB for a 62-CPU server): 100 stay under serve's 1 MiB body limit.
    batch: () => 100,
    request: (records, sink, options) => {
      const v2 = sink.bucket !== undefined;
      return {
        method: "POST",
        url: v2
          ? joinUrl(sink.url, "/api/v2/write", { org: sink.org, bucket: sink.bucket, precision: "s" })
          : joinUrl(sink.url, "/write", { db: sink.database, precision: "s" }),
        headers: {
          "Content-Type": "text/plain; charset=utf-8",
          ...(sink.apiKey ? { Authorization: `Token ${sink.apiKey}` } : {}),
          ...sink.headers,
        },
        body: encoders.influx(records, options).body,
        compression: "gzip",
      };
    },
    accepts: _2xx,
  },
  prometheus: {
    batch: () => Number.MAX_SAFE_INTEGER,
    newestOnly: true,
    request: (records, sink, options) => {
      const newest = records.reduce((a, b) => (b.unixTimestamp >= a.unixTimestamp ? b : a));
      const instance = encodeURIComponent(newest.deviceId ?? newest.meta.machineId);
      return {
        method: "PUT",
        url: joinUrl(sink.url, `/metrics/job/bagtower/instance/${instance}`),
        headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", ...sink.headers },
        body: encoders.prometheus([newest], options).body,
      };
    },
    accepts: _2xx,
  },
  remote_write: {
    // ~50 series a record: 100 records are a few thousand samples, under every receiver's request limit.
    batch: () => 100,
    request: (records, sink) => ({
      method: "POST",
      // The URL is the receiver's write endpoint as given: /api/v1/write, /api/v1/push (Mimir), /api/v1/receive (Thanos).
      url: sink.url,
      // The body is snappy already (the protocol has no uncompressed form), so no `compression`.
      headers: mergeHeaders(REMOTE_WRITE_HEADERS, sink.apiKey ? { Authorization: `Bearer ${sink.apiKey}` } : undefined, sink.headers),
      body: remoteWriteBody(records),
    }),
    // Prometheus answers 400 for out-of-order, duplicate and too-old samples and rolls the whole
    // request back: the sender's batch-refused path then sends records one by one (SPEC §6), so the
    // new records of a batch re-sent after a crash are stored and the old ones go to rejected/.
    accepts: _2xx,
  },
  telemetrics: {
    batch: () => 1,
    request: (records, sink, options) => {
      const encoded = encoders.telemetrics(records, { ...options, telemetricsVersion: sink.telemetricsVersion });
      // The backend knows a client by its TID: the sink's key is that TID, and a `headers` entry still wins.
      const headers = mergeHeaders({ "Content-Type": encoded.contentType }, encoded.headers, sink.apiKey ? { "X-Telemetry-TID": sink.apiKey } : undefined, sink.headers);
      return { method: "POST", url: joinUrl(sink.url, ""), headers, body: encoded.body };
    },
    accepts: (status) => status === 200 || status === 201,
  },
};
