import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import type { SinkConfig } from "../../src/config/schema.ts";
import { createContext } from "../../src/context.ts";
import { encodeOptions } from "../../src/deliver/encode-options.ts";
import { createLogger } from "../../src/log.ts";
import type { RuleSeeds } from "../../src/serve/alerts/rules.ts";
import type { NotifyTransition } from "../../src/serve/alerts/transition.ts";
import type { JobPeriods } from "../../src/serve/jobs/schedule.ts";
import { DEFAULT_LIMITS, type Limits } from "../../src/serve/limits.ts";
import { startServe, type StartServeOptions } from "../../src/serve/server.ts";
import { DEFAULT_RETENTION, type Retention } from "../../src/serve/tsdb/tiers.ts";
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
  /** Default serve's (raw 30 days, 5m 90 days, 1h 2 years). */
  retention?: Retention;
  /** Default 7 days, as serve's. */
  dedupWindowS?: number;
  forward?: SinkConfig[];
  periods?: JobPeriods;
  /** serve --downloads DIR (the test process runs from source: no executable of its own). */
  downloadsDir?: string;
  /** Alert rules from "the config" and "the flags" (the defaults are seeded as by serve). */
  rules?: RuleSeeds;
  notify?: NotifyTransition;
  notifyAll?: (transitions: Parameters<NotifyTransition>[0][]) => void;
  alertHistory?: { ms: number; text: string };
  /** An existing home (a restart over the same database); removed by the first stop that owns it. */
  dir?: string;
  /** serve --channel URLs, and config serve.channels entries. */
  channels?: string[];
  channelConfig?: unknown[];
  /** Notifier settings (group window, the hosted services' base URLs). */
  notifier?: StartServeOptions["notifier"];
  /** A database that outlives this receiver (restart tests); its directory is the caller's. */
  dbPath?: string;
}

/**
 * The receiver in-process on port 0 over a real SQLite file, with a hand-moved clock: startServe,
 * as `bagtower serve` runs it, background jobs included (at their real periods unless `periods`).
 */
export function startTestServe(limits: Partial<Limits> = {}, options: TestServeOptions = {}) {
  const tmp = options.dir ? { dir: options.dir, cleanup: () => {} } : tempDir("bagtower-serve-");
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
    rules: options.rules ?? {},
    notify: options.notify,
    notifyAll: options.notifyAll,
    alertHistory: options.alertHistory,
    retention: options.retention ?? DEFAULT_RETENTION,
    dedupWindowS: options.dedupWindowS,
    publicRead: options.publicRead ?? false,
    pattooOpen: options.pattooOpen,
    publicUrl: options.publicUrl ? new URL(options.publicUrl) : undefined,
    authFailuresPerMinute: options.authFailuresPerMinute,
    forward: options.forward && { sinks: options.forward, http: config.http, encode: encodeOptions(ctx, config) },
    periods: options.periods,
    downloadsDir: options.downloadsDir,
    channels: { config: options.channelConfig ?? [], flags: options.channels ?? [] },
    notifier: options.notifier,
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
    dir: tmp.dir,
    cleanup: tmp.cleanup,
    forwarder: running.forwarder,
    notifier: running.notifier,
    checks: running.checks,
    post: (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
      reply(fetch(`${url}${path}`, { method: "POST", body, headers: { "x-api-key": INGEST_KEY, "Content-Type": "application/json", ...headers } })),
    get: (path: string, headers: Record<string, string> = {}) => reply(fetch(`${url}${path}`, { headers })),
    /** A request with any method and headers (no ingest key added). */
    send: (method: string, path: string, headers: Record<string, string> = {}, body?: string) => reply(fetch(`${url}${path}`, { method, headers, body })),
    stop: () => running.stop({ force: true }).finally(tmp.cleanup),
    /** Stops and keeps the home and its database, for a restart over them (startTestServe({}, { dir })). */
    stopKeeping: () => running.stop({ force: true }),
  };
}
