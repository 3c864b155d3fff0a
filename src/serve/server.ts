// The receiver as one thing to start and stop: the store, the HTTP server and the background jobs.
// `serve` parses its flags and calls startServe; tests call it the same way, in-process.
import type { Server } from "bun";
import type { Config, SinkConfig } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { BagtowerError, ConfigError, errorMessage, ExitCode, UsageError } from "../errors.ts";
import type { EncodeOptions } from "../formats/types.ts";
import type { Keys } from "./access.ts";
import type { RuleSeeds } from "./alerts/rules.ts";
import type { AlertTransition, NotifyTransition } from "./alerts/transition.ts";
import { createServeApp, type ServeApp } from "./app.ts";
import { createDownloads, selfExecutable } from "./downloads.ts";
import { createNotifier, type Notifier, type NotifierOptions } from "./alerts/notifier.ts";
import { createChecks, type Checks } from "./checks/checks.ts";
import { createForwarder } from "./forward.ts";
import { alertHistoryJob } from "./jobs/alert-history.ts";
import { downCheckJob } from "./jobs/down-check.ts";
import { forwardJob, forwardNudge } from "./jobs/forward.ts";
import { idleGcJob } from "./jobs/idle-gc.ts";
import { retentionJob } from "./jobs/retention.ts";
import { sealJob } from "./jobs/seal.ts";
import { scheduleJobs, type Job, type JobPeriods } from "./jobs/schedule.ts";
import { selfPushJob, type SelfPush } from "./jobs/self-push.ts";
import type { Limits } from "./limits.ts";
import { listenFailure, listenOrigin } from "./listen-address.ts";
import { openStore, type Store, type StoreOptions } from "./store.ts";
import type { Retention } from "./tsdb/tiers.ts";

export interface StartServeOptions {
  host: string;
  /** 0 picks a free one. */
  port: number;
  dbPath: string;
  keys: Keys;
  limits: Limits;
  /** Alert rules from the config file and serve --rule, and --alerts' thresholds (the database keeps the rest). */
  rules: RuleSeeds;
  /** Keep resolved alerts and their history this long (serve --alert-history, default 90d). */
  alertHistory?: { ms: number; text: string };
  /** Told of each alert that fires or resolves, after its commit (the notifier). */
  notify?: NotifyTransition;
  /** The same, each committed batch in one call (used instead of notify when given). */
  notifyAll?: (transitions: AlertTransition[]) => void;
  /** How long each tier is kept (--retention, config serve.retention). */
  retention: Retention;
  /** Keep each record's id this long to refuse a duplicate (--dedup-window; default 7 days, the agents' spool expiry). */
  dedupWindowS?: number;
  publicRead?: boolean;
  pattooOpen?: boolean;
  publicUrl?: URL;
  authFailuresPerMinute?: number;
  /** Targets everything accepted is sent on to (config's serve.forward and --forward), with config's http settings. */
  forward?: { sinks: SinkConfig[]; http: Config["http"]; encode: EncodeOptions };
  /** --push-self: push this machine's record to the receiver's own address this often. */
  selfPush?: { everyMs: number; push: SelfPush };
  /** Bun's hard ceiling on a body, past which it refuses before our own 413 (default twice limits.bodyBytes). */
  bodyCeilingBytes?: number;
  /** `--downloads DIR`: release files served under /download/ besides the running executable. */
  downloadsDir?: string;
  /** Notification channels: config serve.channels entries and --channel URLs (every rule). */
  channels?: { config: unknown[]; flags: string[] };
  /** Notifier settings past the defaults (group window, timeouts; tests aim the hosted services at a local receiver). */
  notifier?: Partial<Omit<NotifierOptions, "db" | "log" | "now">>;
  /** A job's period by name (`down-check`, `retention`, `seal`, `alert-history`, `notify`, `checks`, `idle-gc`, `forward`, `self-push`): tests shorten them. */
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

export const DEFAULT_ALERT_HISTORY = { ms: 90 * 86_400_000, text: "90d" };

export function startServe(ctx: Context, options: StartServeOptions): RunningServe {
  const { host, port, limits, forward, selfPush } = options;
  const downloads = _downloads(ctx, options);
  const store = _open(options.dbPath, limits, {
    retention: options.retention,
    dedupWindowS: options.dedupWindowS,
    forwardTargets: (forward?.sinks ?? []).map((sink) => sink.name),
    log: (line) => ctx.log.info(line),
  });
  // The rule's own duration is its flap window when longer than the notifier's (app is made below).
  const notifier = _notifier(ctx, store, options, (ruleId) => app?.alerts.forMsOf(ruleId));
  const checks = createChecks({ db: store.db, notify: notifier.notify, now: ctx.now, randomBytes: ctx.randomBytes });
  const forwarder = forward?.sinks.length ? createForwarder(ctx, forward.http, forward.sinks, store, forward.encode) : undefined;
  const nudgeForward = forwardNudge(forwarder);
  const seal = sealJob(store, ctx.now, ctx.log);
  const app = createServeApp({
    store,
    keys: options.keys,
    limits,
    rules: options.rules,
    // Each committed batch of transitions to the notifier (one transaction), and to a test's hooks.
    notifyAll: (transitions) => {
      notifier.notifyAll(transitions);
      options.notifyAll?.(transitions);
      if (options.notify) for (const t of transitions) options.notify(t);
    },
    publicRead: options.publicRead ?? false,
    pattooOpen: options.pattooOpen,
    onCommit: () => {
      nudgeForward();
      seal.nudge();
    },
    publicUrl: options.publicUrl,
    authFailuresPerMinute: options.authFailuresPerMinute,
    randomBytes: ctx.randomBytes,
    downloads,
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
    // Exit 1, not a usage error: the flag is well-formed, the machine cannot do it.
    throw new BagtowerError(listenFailure(host, port, error), ExitCode.failure, { cause: error });
  }
  app.attach(server);
  const url = listenOrigin(host, server.port!);
  const jobs: Job[] = [
    retentionJob(store, options.retention, ctx.now, ctx.log),
    seal,
    alertHistoryJob(app.alerts, options.alertHistory ?? DEFAULT_ALERT_HISTORY, ctx.now, ctx.log),
    downCheckJob(app.checkDown),
    idleGcJob(app.handled, (collect) => store.compactMemory(collect)),
    notifier.job,
    checks.job,
  ];
  if (forwarder) jobs.push(forwardJob(forwarder));
  if (selfPush) {
    const periodIs = (deviceId: string, periodSeconds: number) => {
      const device = store.updateDevice(deviceId, { periodSeconds });
      if (device) app.events.publish("device.updated", { deviceId, periodSeconds: device.periodSeconds, labels: device.labels });
    };
    jobs.push(selfPushJob(selfPush.push, url, options.keys.ingest, selfPush.everyMs, periodIs));
  }
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
function _open(dbPath: string, limits: Limits, storeOptions: StoreOptions): Store {
  try {
    return openStore(dbPath, limits, storeOptions);
  } catch (error) {
    throw new BagtowerError(`${dbPath}: ${errorMessage(error)}`, ExitCode.failure, { cause: error });
  }
}

function _downloads(ctx: Context, options: StartServeOptions) {
  try {
    return createDownloads({ self: selfExecutable(), dir: options.downloadsDir, log: ctx.log });
  } catch (error) {
    throw new UsageError(errorMessage(error), { cause: error });
  }

}

/** The notifier over the store's database, with the channels of the config file and the flags. */
function _notifier(ctx: Context, store: Store, options: StartServeOptions, ruleWindowMs: (ruleId: string) => number | undefined): Notifier {
  const notifier = createNotifier({
    fetch: ctx.fetch,
    historyMs: options.retention.rawS * 1000,
    flapWindowMs: (ruleId: string) => Math.max(60_000, ruleWindowMs(ruleId) ?? 0),
    ...options.notifier,
    db: store.db,
    log: ctx.log,
    now: ctx.now,
  });
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
