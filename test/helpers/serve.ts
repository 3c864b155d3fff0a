import type { Server } from "bun";
import { join } from "node:path";
import { createLogger } from "../../src/log.ts";
import { DEFAULT_ALERT_RULES } from "../../src/serve/alerts.ts";
import { createServeApp, type ServeApp } from "../../src/serve/app.ts";
import { DEFAULT_LIMITS, type Limits } from "../../src/serve/limits.ts";
import { openStore, type Store } from "../../src/serve/store.ts";
import { manualClock, tempDir } from "./context.ts";

/** A fetch Response whose JSON the tests read freely. */
export type Reply = Omit<Response, "json"> & { json(): Promise<any> };
export const reply = (response: Promise<Response>) => response as Promise<Reply>;

export const INGEST_KEY = "ingest-key-for-tests-0123456789";
export const READ_TOKEN = "read-token-for-tests-0123456789";
export const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
export const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** The receiver in-process on port 0 over a real SQLite file, with a hand-moved clock. */
export function startTestServe(limits: Partial<Limits> = {}, options: { pattooOpen?: boolean; publicRead?: boolean; publicUrl?: string; authFailuresPerMinute?: number } = {}) {
  const tmp = tempDir("bagtower-serve-");
  const clock = manualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  const logs: string[] = [];
  const dbPath = join(tmp.dir, "serve.db");
  const store: Store = openStore(dbPath, { ...DEFAULT_LIMITS, ...limits });
  const app: ServeApp = createServeApp({
    store,
    keys: { ingest: INGEST_KEY, read: READ_TOKEN, admin: ADMIN_TOKEN, source: "flag" },
    limits: { ...DEFAULT_LIMITS, ...limits },
    rules: DEFAULT_ALERT_RULES,
    publicRead: options.publicRead ?? false,
    pattooOpen: options.pattooOpen,
    publicUrl: options.publicUrl ? new URL(options.publicUrl) : undefined,
    authFailuresPerMinute: options.authFailuresPerMinute,
    now: clock.now,
    log: createLogger(4, (line) => logs.push(line)),
  });
  const server: Server<unknown> = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, websocket: app.websocket, maxRequestBodySize: 64 * 1024 * 1024 });
  app.attach(server);
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    app,
    store,
    clock,
    logs,
    dbPath,
    post: (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
      reply(fetch(`${url}${path}`, { method: "POST", body, headers: { "x-api-key": INGEST_KEY, "Content-Type": "application/json", ...headers } })),
    get: (path: string, headers: Record<string, string> = {}) => reply(fetch(`${url}${path}`, { headers })),
    /** A request with any method and headers (no ingest key added). */
    send: (method: string, path: string, headers: Record<string, string> = {}, body?: string) => reply(fetch(`${url}${path}`, { method, headers, body })),
    stop: () => {
      server.stop(true);
      store.close();
      tmp.cleanup();
    },
  };
}
