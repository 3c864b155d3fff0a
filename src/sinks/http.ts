import { deflateSync } from "node:zlib";
import { ofetch } from "ofetch";
import type { Config } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { errorMessage } from "../errors.ts";
import { redact } from "../redact.ts";

export interface WireRequest {
  method: "POST" | "PUT";
  url: string;
  headers: Record<string, string>;
  /** Text, or bytes for a binary protocol (remote write's snappy protobuf). */
  body: string | Uint8Array;
  /** HTTP Content-Encoding to apply. `deflate` is the zlib format, as HTTP and Datadog mean it. */
  compression?: "gzip" | "deflate";
}

export type Outcome =
  | { kind: "accepted"; status: number; text: string }
  | { kind: "retryable"; status?: number; message: string; retryAfterMs?: number }
  | { kind: "rejected"; status: number; message: string };

/** The longest Retry-After one run waits for; past it the records stay spooled for a later run. */
export const MAX_WAIT_IN_RUN_MS = 30_000;
const _BASE_DELAY_MS = 500;
const _MAX_DELAY_MS = 10_000;

/**
 * Statuses that say the sink is configured wrong (key, token, URL path, method), not that the
 * record is bad: the record stays spooled and the sink stops for the run (exit 78).
 */
export function isConfigRefusal(status: number): boolean {
  return status === 401 || status === 403 || status === 404 || status === 405;
}

/** 2xx is accepted (or what the format demands); 408, 429 and 5xx are worth retrying; other 4xx never are. */
export function classifyStatus(status: number, accepts: (status: number) => boolean): Outcome["kind"] {
  if (accepts(status)) return "accepted";
  if (status === 408 || status === 429 || status >= 500) return "retryable";
  return "rejected";
}

/** Retry-After in seconds or as an HTTP date, relative to now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base × 2^attempt)). */
export function backoffMs(attempt: number, random01: number): number {
  return Math.floor(random01 * Math.min(_MAX_DELAY_MS, _BASE_DELAY_MS * 2 ** attempt));
}

/** The server's explanation, short: a JSON `error`/`message` field, or the start of the body. */
export function serverMessage(status: number, text: string): string {
  let detail = text.trim();
  try {
    const json = JSON.parse(detail) as Record<string, unknown>;
    const field = json.error ?? json.message ?? json.errors;
    if (field !== undefined) detail = typeof field === "string" ? field : JSON.stringify(field);
  } catch {
    // not JSON: keep the text
  }
  detail = detail.replace(/\s+/g, " ").slice(0, 300);
  return `HTTP ${status}${detail ? `: ${detail}` : ""}`;
}

function _encode(request: WireRequest): { body: string | Uint8Array; headers: Record<string, string> } {
  if (!request.compression) return { body: request.body, headers: request.headers };
  const body = request.compression === "gzip" ? Bun.gzipSync(Buffer.from(request.body)) : deflateSync(Buffer.from(request.body));
  return { body, headers: { ...request.headers, "Content-Encoding": request.compression } };
}

export type Send = (request: WireRequest, accepts: (status: number) => boolean) => Promise<Outcome>;

/** The most of a reply body read: a receiver's answer is a short JSON; the rest is never buffered. */
export const MAX_REPLY_BYTES = 64 * 1024;

class _Deadline extends Error {}

/**
 * Reads at most `cap` bytes of a body, then cancels the stream (the connection closes), so a
 * 200 MB reply costs 64 KiB; `expired` ends the read when the request's deadline passes mid-body.
 */
export async function readCapped(body: ReadableStream<Uint8Array> | null, cap: number, expired: Promise<never>): Promise<string> {
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < cap) {
      const { value, done } = await Promise.race([reader.read(), expired]);
      if (done) break;
      chunks.push(value.subarray(0, cap - size));
      size += Math.min(value.byteLength, cap - size);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/**
 * One ofetch instance per sink. Each attempt has one deadline (http.timeoutMs) for connecting,
 * sending and reading the capped reply: ofetch's own `timeout` stops at the headers, and a reply
 * dripping one byte a second held `push` for minutes, so the reply comes as a stream and our signal
 * covers it. Retries are ours, so that Retry-After is honoured and every outcome is classified the
 * same way (ofetch would not retry a POST anyway).
 */
export function createSender(ctx: Context, http: Config["http"]): Send {
  const client = ofetch.create({ retry: 0, ignoreResponseError: true }, { fetch: ctx.fetch });
  const random01 = () => new DataView(ctx.randomBytes(4).buffer).getUint32(0) / 2 ** 32;

  async function once(request: WireRequest, accepts: (status: number) => boolean): Promise<Outcome> {
    const { body, headers } = http.compress ? _encode(request) : { body: request.body, headers: request.headers };
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new _Deadline());
        abort.abort();
      }, http.timeoutMs);
    });
    expired.catch(() => {});
    try {
      const response = await Promise.race([client.raw(request.url, { method: request.method, headers, body, signal: abort.signal, responseType: "stream" }), expired]);
      const text = await readCapped(response._data ?? null, MAX_REPLY_BYTES, expired);
      const kind = classifyStatus(response.status, accepts);
      if (kind === "accepted") return { kind, status: response.status, text };
      const message = redact(serverMessage(response.status, text));
      if (kind === "rejected") return { kind, status: response.status, message };
      return { kind, status: response.status, message, retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), ctx.now()) };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const timedOut = error instanceof _Deadline || abort.signal.aborted;
      const reason = timedOut ? `no answer within ${http.timeoutMs} ms` : ((error as { code?: string }).code ?? cause?.code ?? cause?.message ?? errorMessage(error));
      return { kind: "retryable", message: redact(`${request.method} ${request.url}: ${reason}`) };
    } finally {
      clearTimeout(timer);
    }
  }

  return async (request, accepts) => {
    for (let attempt = 0; ; attempt++) {
      const outcome = await once(request, accepts);
      if (outcome.kind !== "retryable" || attempt >= http.retries) return outcome;
      const delay = outcome.retryAfterMs ?? backoffMs(attempt, random01());
      if (delay > MAX_WAIT_IN_RUN_MS) return outcome;
      ctx.log.debug(`retrying in ${delay} ms: ${outcome.message}`);
      await ctx.sleep(delay);
    }
  };
}
