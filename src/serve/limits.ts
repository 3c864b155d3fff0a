import { isUtf8 } from "node:buffer";
import { gunzipSync, inflateSync } from "node:zlib";
import { MAX_ITEMS_PER_RECORD } from "../record/limits.ts";
import { HttpError } from "./http-errors.ts";
import { createMinuteWindows } from "./minute-windows.ts";

/**
 * What one request may carry and what the store may grow to (SPEC §9, docs/LIMITS.md): over a
 * per-request limit → 413 (422 for a future timestamp), over a cardinality cap → 429 or 422, each
 * naming the limit and counted in /metrics.
 */
export interface Limits {
  bodyBytes: number;
  /** Records one request may make, in every ingest API (a Datadog or Influx record: one device at one time). */
  recordsPerRequest: number;
  itemsPerRecord: number;
  /** Every string a record carries: item text, meta fields and tags. */
  stringLength: number;
  /** Requests a minute one client (an ingest key from one address) may send; 0: no limit. */
  requestsPerMinute: number;
  /** How far ahead of the receiver's clock a record's timestamp may be. */
  futureSeconds: number;
  /** Devices one ingest key (or the keyless pattoo agents of --pattoo-open) may create. */
  devicesPerKey: number;
  itemsPerDevice: number;
  labelsPerDevice: number;
  /** Characters of a label's value (names are 1–64 characters). */
  labelLength: number;
  /** Live /ws clients at once. */
  wsClients: number;
  /** Bytes a /ws client may leave unread before it is disconnected. */
  wsBufferedBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  bodyBytes: 1024 * 1024,
  recordsPerRequest: 500,
  itemsPerRecord: MAX_ITEMS_PER_RECORD,
  stringLength: 1024,
  // 1,000 a second from one address: a runaway loop is stopped, a fleet behind one NAT is not.
  requestsPerMinute: 60_000,
  // An NTP-less device drifts seconds a day; ten minutes ahead is a wrong clock, not drift.
  futureSeconds: 600,
  devicesPerKey: 10_000,
  itemsPerDevice: 500,
  labelsPerDevice: 64,
  labelLength: 256,
  wsClients: 256,
  wsBufferedBytes: 4 * 1024 * 1024,
};

/** The limits a serve flag or `serve.limits` in the config may set, by their flag names. */
export const LIMIT_FLAGS = {
  "max-devices": "devicesPerKey",
  "max-items": "itemsPerDevice",
  "max-labels": "labelsPerDevice",
  "max-label-length": "labelLength",
  "max-ws-clients": "wsClients",
} as const satisfies Record<string, keyof Limits>;

/** A request over a limit: the HTTP answer, and the limit's name for /metrics (`bagtower_serve_refused_total{limit=…}`). */
export class LimitError extends HttpError {
  readonly limit: string;
  constructor(status: number, limit: string, message: string, headers: Record<string, string> = {}) {
    super(status, message, headers);
    this.limit = limit;
  }
}

/**
 * Throws a 413 naming the per-request limit when `count` is over it; `counting` when the parser
 * stops at the first one over (then only "more than" is known).
 */
export function checkCount(count: number, max: number, limit: "recordsPerRequest" | "itemsPerRecord", where: string, counting = false): void {
  if (count <= max) return;
  const what = limit === "recordsPerRequest" ? `records, over the limit of ${max} per request` : `items, over the limit of ${max} per record`;
  throw new LimitError(413, limit, `${where}: ${counting ? `more than ${max}` : count} ${what}`);
}

/** The time range a record may carry: after 1970, before the year 3000 (as the /logs schema). */
export const MAX_UNIX_SECONDS = 32503680000;

/** A timestamp more than `futureSeconds` ahead of now freezes a device's latest values: refused (422). */
export function checkNotFuture(unixSeconds: number, nowS: number, limits: Limits, where: string): void {
  // Past the year 3000 (or not a number) is the range check's 400, further on.
  if (unixSeconds <= nowS + limits.futureSeconds || !(unixSeconds <= MAX_UNIX_SECONDS)) return;
  throw new LimitError(
    422,
    "futureSeconds",
    `${where}: timestamp ${unixSeconds} (${new Date(unixSeconds * 1000).toISOString()}) is ${unixSeconds - nowS} s ahead of this receiver's clock (at most ${limits.futureSeconds} s: check the device's clock)`,
  );
}


/**
 * The body's bytes with a running count: a chunked body (no Content-Length) is refused as soon as
 * it passes the limit, before the rest is read or buffered.
 */
async function _readCapped(request: Request, max: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch {
      throw new HttpError(400, "body: the client stopped sending before its end");
    }
    if (chunk.done) break;
    total += chunk.value.length;
    if (total > max) {
      void reader.cancel().catch(() => {});
      throw new LimitError(413, "bodyBytes", `body of more than ${max} bytes is over the limit of ${max} bytes`);
    }
    chunks.push(chunk.value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/**
 * The body as text: within the size limit (before and after decompression: a small gzip bomb is
 * still a large body), decompressed per Content-Encoding, and valid UTF-8.
 */
export async function readBody(request: Request, limits: Limits): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limits.bodyBytes) throw new LimitError(413, "bodyBytes", `body of ${declared} bytes is over the limit of ${limits.bodyBytes} bytes`);
  // With a Content-Length (checked above) the server reads exactly that many bytes: one read. A
  // chunked body has none, and is counted as it streams.
  let bytes = request.headers.has("content-length") ? new Uint8Array(await request.arrayBuffer()) : await _readCapped(request, limits.bodyBytes);
  if (bytes.length > limits.bodyBytes) throw new LimitError(413, "bodyBytes", `body of ${bytes.length} bytes is over the limit of ${limits.bodyBytes} bytes`);
  const encoding = (request.headers.get("content-encoding") ?? "identity").toLowerCase();
  try {
    if (encoding === "gzip") bytes = new Uint8Array(gunzipSync(bytes, { maxOutputLength: limits.bodyBytes }));
    else if (encoding === "deflate") bytes = new Uint8Array(inflateSync(bytes, { maxOutputLength: limits.bodyBytes }));
    else if (encoding !== "identity") throw new HttpError(415, `Content-Encoding ${encoding} is not supported (use gzip, deflate or none)`);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw new LimitError(413, "bodyBytes", `decompressed body is over the limit of ${limits.bodyBytes} bytes`);
    throw new HttpError(400, `body is not valid ${encoding} data`);
  }
  // Checked with isUtf8 (simdutf), then decoded: a fatal TextDecoder took 20 times as long on a
  // fresh half-megabyte batch (about 7 ns a byte against 0.3). A small body (a single record) is
  // decoded by a plain TextDecoder, ~1 µs against ~5 for a Response made to read it; a large one
  // by Response.text(), which was the steadier of the two on batches. Both drop a leading BOM.
  if (!isUtf8(bytes)) throw new HttpError(400, "body is not valid UTF-8");
  return bytes.length <= _SMALL_BODY_BYTES ? _utf8.decode(bytes) : new Response(bytes).text();
}
const _SMALL_BODY_BYTES = 64 * 1024;
const _utf8 = new TextDecoder();

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `body is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * A fixed one-minute window per ingest key and client address: cheap, and enough to stop a runaway
 * client without capping a fleet that shares one key. `perMinute` 0 turns it off.
 */
export function createRateLimiter(perMinute: number, now: () => number) {
  const windows = createMinuteWindows(now);
  return (key: string, address: string | null): void => {
    if (perMinute === 0) return;
    if (windows.add(`${address ?? ""} ${key}`) > perMinute) {
      const retry = windows.retryAfterS();
      throw new LimitError(429, "requestsPerMinute", `more than ${perMinute} requests this minute from ${address ?? "this client"} with this key; retry in ${retry} s`, { "Retry-After": String(retry) });
    }
  };
}
