// The receiver as one thing to start and stop: the store, the HTTP server and the background jobs.
// `serve` parses its flags and calls startServe; tests call it the same way, in-process.
import type { Server } from "bun";
import type { Config, SinkConfig } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { BagtowerError, ConfigError, errorMessage, ExitCode, UsageError } from "../errors.ts";
import type { EncodeOptions } from "../formats/types.ts";
import type { Keys } from "./access.ts";
import type { AlertRules } from "./alerts.ts";
import { createNotifier, type Notifier, type NotifierOptions } from "./alerts/notifier.ts";
import { createServeApp, type ServeApp } from "./app.ts";
import { createChecks, type Checks } from "./checks/checks.ts";
import { createForwarder } from "./forward.ts";
import { downCheckJob } from "./jobs/down-check.ts";
import { forwardJob, forwardNudge } from "./jobs/forward.ts";
import { idleGcJob } from "./jobs/idle-gc.ts";
import { retentionJob } from "./jobs/retention.ts";
import { scheduleJobs, type Job, type JobPeriods } from "./jobs/schedule.ts";
import { selfPushJob } from "./jobs/self-push.ts";
import type { Limits } from "./limits.ts";
import { openStore, type Store } from "./store.ts";

export interface StartServeOptions {
  host: string;
  /** 0 picks a free one. */
  port: number;
  dbPath: string;
  keys: Keys;
  limits: Limits;
  rules: AlertRules;
  /** Keep records and series this long; `text` is how the log names it (`30d`). */
  retention: { ms: number; text: string };
  publicRead?: boolean;
  pattooOpen?: boolean;
  publicUrl?: URL;
  authFailuresPerMinute?: number;
  /** Targets everything accepted is sent on to (config's serve.forward and --forward), with config's http settings. */
  forward?: { sinks: SinkConfig[]; http: Config["http"]; encode: EncodeOptions };
  /** --push-self: push this machine's record to the receiver's own address this often. */
  selfPush?: { everyMs: number; push: (url: string, apiKey: string) => Promise<void> };
  /** Bun's hard ceiling on a body, past which it refuses before our own 413 (default twice limits.bodyBytes). */
  bodyCeilingBytes?: number;
  /** Notification channels: config serve.channels entries and --channel URLs (every rule). */
  channels?: { config: unknown[]; flags: string[] };
  /** Notifier settings past the defaults (group window, timeouts; tests aim the hosted services at a local receiver). */
  notify?: Partial<Omit<NotifierOptions, "db" | "log" | "now">>;
  /** A job's period by name (`down-check`, `retention`, `idle-gc`, `forward`, `self-push`): tests shorten them. */
  periods?: JobPeriods;
}

export interface RunningServe {
  /** The address this machine reaches the receiver at (127.0.0.1 when it listens on every interface). */
  url: string;
  port: number;
  app: ServeApp;
  store: Store;
  forwarder?: ReturnType<typeof createForwarder>;
  notifier: Notifier;
  checks: Checks;
  /** Stops the jobs and the server (`force`: drop open connections), waits for retention, closes the store. */
  stop(options?: { force?: boolean }): Promise<void>;
}

export function startServe(ctx: Context, options: StartServeOptions): RunningServe {
  const { host, port, limits, forward, selfPush } = options;
  const store = _open(options.dbPath, limits);
  const notifier = _notifier(ctx, store, options);
  const checks = createChecks({ db: store.db, notify: notifier.notify, now: ctx.now, randomBytes: ctx.randomBytes });
  const forwarder = forward?.sinks.length ? createForwarder(ctx, forward.http, forward.sinks, store, forward.encode) : undefined;
  const app = createServeApp({
    store,
    keys: options.keys,
    limits,
    rules: options.rules,
    publicRead: options.publicRead ?? false,
    pattooOpen: options.pattooOpen,
    onCommit: forwardNudge(forwarder),
    publicUrl: options.publicUrl,
    authFailuresPerMinute: options.authFailuresPerMinute,
    randomBytes: ctx.randomBytes,
    notifier,
    checks,
    now: ctx.now,
    log: ctx.log,
  });
  let server: Server<unknown>;
  try {
    server = Bun.serve({
      hostname: host,
      port,
      fetch: app.fetch,
      websocket: app.websocket,
      // Over-long bodies are refused with our own 413 message; this is the hard ceiling.
      maxRequestBodySize: options.bodyCeilingBytes ?? limits.bodyBytes * 2,
      error: (error) => {
        ctx.log.error(`request failed: ${errorMessage(error)}`);
        return new Response(JSON.stringify({ status: "error", error: "internal error" }), { status: 500 });
      },
    });
  } catch (error) {
    store.close();
    throw new UsageError(`cannot listen on ${host}:${port}: ${errorMessage(error)}`);
  }
  app.attach(server);
  const url = `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${server.port}`;
  const jobs: Job[] = [retentionJob(store, options.retention, ctx.now, ctx.log), downCheckJob(app.checkDown), idleGcJob(app.handled), notifier.job, checks.job];
  if (forwarder) jobs.push(forwardJob(forwarder));
  if (selfPush) jobs.push(selfPushJob(selfPush.push, url, options.keys.ingest, selfPush.everyMs));
  const scheduled = scheduleJobs(jobs, options.periods ?? {}, ctx.log);
  return {
    url,
    port: server.port!,
    app,
    store,
    forwarder,
    notifier,
    checks,
    async stop(stopOptions = {}) {
      const jobsDone = scheduled.stop();
      await server.stop(stopOptions.force);
      await jobsDone;
      store.close();
    },
  };
}

/** The store, or one line naming the file (not a database, a newer schema, no permission). */
function _open(dbPath: string, limits: Limits): Store {
  try {
    return openStore(dbPath, limits);
  } catch (error) {
    throw new BagtowerError(`${dbPath}: ${errorMessage(error)}`, ExitCode.failure, { cause: error });
  }
}

/** The notifier over the store's database, with the channels of the config file and the flags. */
function _notifier(ctx: Context, store: Store, options: StartServeOptions): Notifier {
  const notifier = createNotifier({ fetch: ctx.fetch, historyMs: options.retention.ms, ...options.notify, db: store.db, log: ctx.log, now: ctx.now });
  try {
    notifier.syncChannels("config", options.channels?.config ?? []);
  } catch (error) {
    store.close();
    throw new ConfigError(errorMessage(error));
  }
  try {
    notifier.syncChannels("flag", (options.channels?.flags ?? []).map((url) => ({ url })));
  } catch (error) {
    store.close();
    throw new UsageError(errorMessage(error));
  }
  return notifier;
}
