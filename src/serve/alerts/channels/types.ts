import type { AlertMessage } from "../message.ts";

/** What one delivery attempt came to: sent, worth retrying later, or refused for good. */
export type DeliveryOutcome =
  | { kind: "sent"; detail: string }
  | { kind: "retry"; detail: string; retryAfterMs?: number }
  | { kind: "rejected"; detail: string };

/** What a channel may use: injected, so tests aim the services' fixed addresses at a local receiver. */
export interface ChannelIo {
  fetch: typeof fetch;
  /** One deadline for the whole attempt: connect, send, read the (capped) reply. */
  timeoutMs: number;
  now: () => number;
  /** Base URLs of the hosted services (discord, slack, telegram); tests point them at 127.0.0.1. */
  endpoints: ServiceEndpoints;
  /** Aborted when the receiver stops: an attempt in flight ends at once (and is tried again after the restart). */
  signal?: AbortSignal;
  /** Certificates to trust besides the system's (PEM) for SMTP and MQTT over TLS: a private CA; tests' own. */
  tlsCa?: string;
  /** A webhook's own body template (channel setting `template`). */
  template?: string;
}

export interface ServiceEndpoints {
  discord: string;
  slack: string;
  telegram: string;
}

export const SERVICE_ENDPOINTS: ServiceEndpoints = {
  discord: "https://discord.com",
  slack: "https://hooks.slack.com",
  telegram: "https://api.telegram.org",
};

export type ChannelSend<T> = (target: T, message: AlertMessage, io: ChannelIo) => Promise<DeliveryOutcome>;
