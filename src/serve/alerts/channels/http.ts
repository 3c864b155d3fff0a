/**
 * One HTTP request of a channel, as the agent's sinks make them (src/sinks/http.ts): one deadline
 * for connecting, sending and reading, a reply read to at most 64 KiB, and the status classified
 * (2xx sent; 408, 429 and 5xx retried, with Retry-After; other 4xx refused for good).
 */
import { errorMessage } from "../../../errors.ts";
import { classifyStatus, MAX_REPLY_BYTES, parseRetryAfter, readCapped, serverMessage } from "../../../sinks/http.ts";
import type { ChannelIo, DeliveryOutcome } from "./types.ts";

export async function postJson(io: ChannelIo, url: string, body: unknown, headers: Record<string, string> = {}): Promise<DeliveryOutcome & { reply?: string }> {
  return postBody(io, url, typeof body === "string" ? body : JSON.stringify(body), { "Content-Type": "application/json", ...headers });
}

export async function postBody(io: ChannelIo, url: string, body: string, headers: Record<string, string>): Promise<DeliveryOutcome & { reply?: string }> {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new Error(`no answer within ${io.timeoutMs} ms`));
    }, io.timeoutMs);
    io.signal?.addEventListener("abort", () => {
      abort.abort();
      reject(new Error("the receiver is stopping"));
    });
  });
  expired.catch(() => {});
  try {
    const response = await Promise.race([io.fetch(url, { method: "POST", body, headers: { "User-Agent": "bagtower", ...headers }, signal: abort.signal, redirect: "manual" }), expired]);
    const text = await readCapped(response.body, MAX_REPLY_BYTES, expired);
    const kind = classifyStatus(response.status, (s) => s >= 200 && s < 300);
    if (kind === "accepted") return { kind: "sent", detail: `HTTP ${response.status}`, reply: text };
    if (kind === "retryable") return { kind: "retry", detail: serverMessage(response.status, text), retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), io.now()) };
    return { kind: "rejected", detail: serverMessage(response.status, text) };
  } catch (error) {
    return { kind: "retry", detail: abort.signal.aborted ? `no answer within ${io.timeoutMs} ms` : errorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}
