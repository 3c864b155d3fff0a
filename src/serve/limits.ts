import { gunzipSync, inflateSync } from "node:zlib";
import { MAX_ITEMS_PER_RECORD } from "../record/limits.ts";
import { HttpError } from "./http-errors.ts";

/** What one request may carry (SPEC §9); over a limit → 413/429 with a clear message. */
export interface Limits {
  bodyBytes: number;
  recordsPerRequest: number;
  itemsPerRecord: number;
  stringLength: number;
  /** Requests a minute one client (an ingest key from one address) may send; 0: no limit. */
  requestsPerMinute: number;
}

export const DEFAULT_LIMITS: Limits = {
  bodyBytes: 1024 * 1024,
  recordsPerRequest: 500,
  itemsPerRecord: MAX_ITEMS_PER_RECORD,
  stringLength: 1024,
  // 1,000 a second from one address: a runaway loop is stopped, a fleet behind one NAT is not.
  requestsPerMinute: 60_000,
};

const _decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The body as text: within the size limit (before and after decompression: a small gzip bomb is
 * still a large body), decompressed per Content-Encoding, and valid UTF-8.
 */
export async function readBody(request: Request, limits: Limits): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limits.bodyBytes) throw new HttpError(413, `body of ${declared} bytes is over the limit of ${limits.bodyBytes} bytes`);
  let bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > limits.bodyBytes) throw new HttpError(413, `body of ${bytes.length} bytes is over the limit of ${limits.bodyBytes} bytes`);
  const encoding = (request.headers.get("content-encoding") ?? "identity").toLowerCase();
  try {
    if (encoding === "gzip") bytes = new Uint8Array(gunzipSync(bytes, { maxOutputLength: limits.bodyBytes }));
    else if (encoding === "deflate") bytes = new Uint8Array(inflateSync(bytes, { maxOutputLength: limits.bodyBytes }));
    else if (encoding !== "identity") throw new HttpError(415, `Content-Encoding ${encoding} is not supported (use gzip, deflate or none)`);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw new HttpError(413, `decompressed body is over the limit of ${limits.bodyBytes} bytes`);
    throw new HttpError(400, `body is not valid ${encoding} data`);
  }
  try {
    return _decoder.decode(bytes);
  } catch {
    throw new HttpError(400, "body is not valid UTF-8");
  }
}

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
  const windows = new Map<string, { minute: number; count: number }>();
  return (key: string, address: string | null): void => {
    if (perMinute === 0) return;
    const minute = Math.floor(now() / 60_000);
    const client = `${address ?? ""} ${key}`;
    let w = windows.get(client);
    if (!w || w.minute !== minute) {
      if (windows.size > 100_000) windows.clear();
      w = { minute, count: 0 };
      windows.set(client, w);
    }
    if (++w.count > perMinute) {
      const retry = 60 - Math.floor((now() / 1000) % 60);
      throw new HttpError(429, `more than ${perMinute} requests this minute from ${address ?? "this client"} with this key; retry in ${retry} s`, { "Retry-After": String(retry) });
    }
  };
}
