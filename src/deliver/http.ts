import { deflateSync } from "node:zlib";
import { ofetch } from "ofetch";
import type { Config } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { errorMessage } from "../errors.ts";

export interface WireRequest {
  method: "POST" | "PUT";
  url: string;
  headers: Record<string, string>;
  body: string;
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

/**
 * One ofetch instance per sink with an explicit timeout; retries are ours, so that Retry-After is
 * honoured and every outcome is classified the same way (ofetch would not retry a POST anyway).
 */
export function createSender(ctx: Context, http: Config["http"]): Send {
  const client = ofetch.create({ timeout: http.timeoutMs, retry: 0, ignoreResponseError: true }, { fetch: ctx.fetch });
  const random01 = () => new DataView(ctx.randomBytes(4).buffer).getUint32(0) / 2 ** 32;

  async function once(request: WireRequest, accepts: (status: number) => boolean): Promise<Outcome> {
    const { body, headers } = http.compress ? _encode(request) : { body: request.body, headers: request.headers };
    try {
      const response = await client.raw(request.url, { method: request.method, headers, body, responseType: "text" });
      const text = typeof response._data === "string" ? response._data : "";
      const kind = classifyStatus(response.status, accepts);
      if (kind === "accepted") return { kind, status: response.status, text };
      const message = serverMessage(response.status, text);
      if (kind === "rejected") return { kind, status: response.status, message };
      return { kind, status: response.status, message, retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), ctx.now()) };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const timedOut = /timeout|aborted/i.test(`${(error as Error).name} ${errorMessage(error)}`);
      const reason = timedOut ? `no answer within ${http.timeoutMs} ms` : (cause?.code ?? cause?.message ?? errorMessage(error));
      return { kind: "retryable", message: `${request.method} ${request.url}: ${reason}` };
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
