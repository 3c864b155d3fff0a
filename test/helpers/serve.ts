import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import type { SinkConfig } from "../../src/config/schema.ts";
import { createContext } from "../../src/context.ts";
import { encodeOptions } from "../../src/deliver/encode-options.ts";
import { createLogger } from "../../src/log.ts";
import { DEFAULT_ALERT_RULES } from "../../src/serve/alerts.ts";
import type { JobPeriods } from "../../src/serve/jobs/schedule.ts";
import { DEFAULT_LIMITS, type Limits } from "../../src/serve/limits.ts";
import { startServe, type StartServeOptions } from "../../src/serve/server.ts";
import { manualClock, tempDir } from "./context.ts";

/** A fetch Response whose JSON the tests read freely. */
export type Reply = Omit<Response, "json"> & { json(): Promise<any> };
export const reply = (response: Promise<Response>) => response as Promise<Reply>;

export const INGEST_KEY = "ingest-key-for-tests-0123456789";
export const READ_TOKEN = "read-token-for-tests-0123456789";
export const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
export const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Options of the test receiver; `periods` shortens its background jobs (see startServe). */
export interface TestServeOptions {
  pattooOpen?: boolean;
  publicRead?: boolean;
  publicUrl?: string;
  authFailuresPerMinute?: number;
  /** Default 30 days, as serve's. */
  retention?: { ms: number; text: string };
  forward?: SinkConfig[];
  periods?: JobPeriods;
  /** serve --channel URLs, and config serve.channels entries. */
  channels?: string[];
  channelConfig?: unknown[];
  /** Notifier settings (group window, the hosted services' base URLs). */
  notify?: StartServeOptions["notify"];
  /** A database that outlives this receiver (restart tests); its directory is the caller's. */
  dbPath?: string;
}

/**
 * The receiver in-process on port 0 over a real SQLite file, with a hand-moved clock: startServe,
 * as `bagtower serve` runs it, background jobs included (at their real periods unless `periods`).
 */
export function startTestServe(limits: Partial<Limits> = {}, options: TestServeOptions = {}) {
  const tmp = tempDir("bagtower-serve-");
  const clock = manualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  const logs: string[] = [];
  const dbPath = options.dbPath ?? join(tmp.dir, "serve.db");
  const ctx = createContext(
    { home: tmp.dir },
    { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, now: clock.now, log: createLogger(4, (line) => logs.push(line)), write: () => {} },
  );
  const config = loadConfig(ctx);
  const running = startServe(ctx, {
    host: "127.0.0.1",
    port: 0,
    dbPath,
    keys: { ingest: INGEST_KEY, read: READ_TOKEN, admin: ADMIN_TOKEN, source: "flag" },
    limits: { ...DEFAULT_LIMITS, ...limits },
    rules: DEFAULT_ALERT_RULES,
    retention: options.retention ?? { ms: 30 * 86_400_000, text: "30d" },
    publicRead: options.publicRead ?? false,
    pattooOpen: options.pattooOpen,
    publicUrl: options.publicUrl ? new URL(options.publicUrl) : undefined,
    authFailuresPerMinute: options.authFailuresPerMinute,
    forward: options.forward && { sinks: options.forward, http: config.http, encode: encodeOptions(ctx, config) },
    periods: options.periods,
    channels: { config: options.channelConfig ?? [], flags: options.channels ?? [] },
    notify: options.notify,
    // As before startServe: the tests of our own 413 send bodies past twice the limit.
    bodyCeilingBytes: 64 * 1024 * 1024,
  });
  const { url, app, store } = running;
  return {
    url,
    app,
    store,
    clock,
    logs,
    dbPath,
    forwarder: running.forwarder,
    notifier: running.notifier,
    checks: running.checks,
    post: (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
      reply(fetch(`${url}${path}`, { method: "POST", body, headers: { "x-api-key": INGEST_KEY, "Content-Type": "application/json", ...headers } })),
    get: (path: string, headers: Record<string, string> = {}) => reply(fetch(`${url}${path}`, { headers })),
    /** A request with any method and headers (no ingest key added). */
    send: (method: string, path: string, headers: Record<string, string> = {}, body?: string) => reply(fetch(`${url}${path}`, { method, headers, body })),
    stop: () => running.stop({ force: true }).finally(tmp.cleanup),
  };
}
