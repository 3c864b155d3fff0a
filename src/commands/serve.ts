import { defineCommand } from "citty";
import { join } from "node:path";
import { globalArgs } from "../argv.ts";
import { runCollect } from "../collect/run.ts";
import { loadConfig } from "../config/load.ts";
import { DEVICE_ID_PATTERN, type Config, type SinkConfig } from "../config/schema.ts";
import { encodeOptions } from "../deliver/encode-options.ts";
import { createForwarder } from "../serve/forward.ts";
import type { Context } from "../context.ts";
import { runPush } from "../deliver/push.ts";
import { selfMetrics } from "../deliver/self-metrics.ts";
import { parseDuration } from "../duration.ts";
import { BagtowerError, errorMessage, ExitCode, UsageError } from "../errors.ts";
import { keyFiles, loadKeys } from "../serve/access.ts";
import { DEFAULT_ALERT_RULES, type AlertRules } from "../serve/alerts.ts";
import { createServeApp, type ServeApp } from "../serve/app.ts";
import { DEFAULT_LIMITS, LIMIT_FLAGS, type Limits } from "../serve/limits.ts";
import { openStore, type Store } from "../serve/store.ts";
import { contextFor, type CommandData } from "./shared.ts";

const _DOWN_CHECK_MS = 5000;
const _RETENTION_EVERY_MS = 3600_000;
const _IDLE_GC_MS = 1000;
/** How often a forward target that was down is tried again. */
const _FORWARD_EVERY_MS = 2000;

/** `cpu=85,memory=90,disk=95,wifi=30` → rules (missing ones keep their defaults). */
export function parseAlertRules(text: string | undefined): AlertRules {
  const rules = { ...DEFAULT_ALERT_RULES };
  if (!text) return rules;
  const names: Record<string, keyof AlertRules> = { cpu: "cpuPercent", memory: "memoryPercent", disk: "diskPercent", wifi: "wifiSignalPercent" };
  for (const part of text.split(",")) {
    const [name, value] = part.split("=").map((s) => s.trim());
    const key = names[name ?? ""];
    const number = Number(value);
    if (!key || value === undefined || !Number.isFinite(number) || number < 0 || number > 100) {
      throw new UsageError(`--alerts ${part}: expected name=percent with a name of cpu, memory, disk or wifi`);
    }
    rules[key] = number;
  }
  return rules;
}

/** `influx=http://vm:8428` → a sink (influx writes to database `bagtower`). */
export function parseForward(text: string): SinkConfig {
  const at = text.indexOf("=");
  const format = text.slice(0, Math.max(at, 0));
  const url = text.slice(at + 1);
  if (at <= 0 || !["influx", "datadog", "prometheus", "bagtower"].includes(format) || !/^https?:\/\/\S+$/.test(url)) {
    throw new UsageError(`--forward ${text}: expected FORMAT=URL with FORMAT influx, datadog, prometheus or bagtower (e.g. influx=http://127.0.0.1:8428)`);
  }
  return { name: `forward-${format}`, format: format as SinkConfig["format"], url, ...(format === "influx" ? { database: "bagtower" } : {}) };
}

/** The device id of this machine's own records: config's, else its hostname (a machine id rotates every 3 days). */
export function selfDeviceId(config: Config, hostname: string): string | undefined {
  if (config.deviceId) return config.deviceId;
  const cleaned = hostname.replace(/[^A-Za-z0-9._:-]/g, "-").slice(0, 128);
  return DEVICE_ID_PATTERN.test(cleaned) ? cleaned : undefined;
}

function _selfPusher(ctx: Context, base: Config, url: string, apiKey: string) {
  const config: Config = { ...base, sinks: [{ name: "self", format: "bagtower", url, apiKey }] };
  let running = false;
  return async () => {
    if (running) return;
    running = true;
    try {
      const collected = await runCollect(ctx, config);
      const deviceId = selfDeviceId(config, collected.meta.hostname);
      const record = { ...collected, ...(deviceId ? { deviceId } : {}), meta: { ...collected.meta, self: selfMetrics(ctx, config.sinks) } };
      const result = await runPush(ctx, config, record);
      const held = result.results?.find((r) => r.held)?.held;
      if (held) ctx.log.warn(`self push: ${held}`);
    } catch (error) {
      ctx.log.warn(`self push failed: ${errorMessage(error)}`);
    } finally {
      running = false;
    }
  };
}

const keyCommand = defineCommand({
  meta: { name: "key", description: "Show the ingest key and the read token (or make new ones with --rotate)" },
  args: { ...globalArgs, rotate: { type: "boolean", description: "Replace both with new random ones (restart serve to use them)" }, json: { type: "boolean", description: "Print JSON" } },
  run({ args, data }) {
    const ctx = contextFor(args, data as CommandData);
    const keys = loadKeys(ctx, undefined, Boolean(args.rotate));
    const files = keyFiles(ctx);
    if (args.json) ctx.write(`${JSON.stringify({ ingestKey: keys.ingest, readToken: keys.read, files })}\n`);
    else ctx.write(`ingest key  ${keys.ingest}  (${files.ingest}; devices send it as x-api-key)\nread token  ${keys.read}  (${files.read}; reads from other hosts: Authorization: Bearer …)\n`);
    if (args.rotate) ctx.log.info("new keys written; a running serve keeps the old ones until it restarts");
    return { rotated: Boolean(args.rotate) };
  },
});

export default defineCommand({
  meta: { name: "serve", description: "Receive records, store them in SQLite, serve the dashboard, fleet API and /metrics" },
  args: {
    ...globalArgs,
    host: { type: "string", valueHint: "ADDRESS", description: "Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)" },
    port: { type: "string", valueHint: "PORT", description: "Port (default 8787; 0 picks a free one)" },
    db: { type: "string", valueHint: "FILE", description: "SQLite database (default HOME/serve.db)" },
    "api-key": { type: "string", valueHint: "KEY", description: "Ingest key devices must send (BAGTOWER_SERVE_API_KEY; default: generated and kept in HOME/serve-key)" },
    "public-read": { type: "boolean", description: "Let any host read the dashboard and API without the read token" },
    retention: { type: "string", valueHint: "DURATION", description: "Keep records and series this long (default 30d)" },
    "push-self": { type: "string", valueHint: "INTERVAL", description: "Also collect this machine and push it here every INTERVAL (e.g. 10s)" },
    alerts: { type: "string", valueHint: "RULES", description: "Alert thresholds, e.g. cpu=80,memory=90,disk=95,wifi=30 (the defaults)" },
    forward: { type: "string", valueHint: "FORMAT=URL", description: "Also send everything accepted to influx=URL, datadog=URL or prometheus=URL (config: serve.forward)" },
    "pattoo-open": { type: "boolean", description: "Accept pattoo agents' posts without an API key (they cannot send one)" },
    "rate-limit": { type: "string", valueHint: "N", description: `Ingest requests a minute one address may send with the key (default ${DEFAULT_LIMITS.requestsPerMinute}; 0: no limit)` },
    "max-devices": { type: "string", valueHint: "N", description: `Devices the ingest key (or --pattoo-open's agents) may create (default ${DEFAULT_LIMITS.devicesPerKey}; config: serve.limits.devicesPerKey)` },
    "max-items": { type: "string", valueHint: "N", description: `Items one device may have (default ${DEFAULT_LIMITS.itemsPerDevice}; config: serve.limits.itemsPerDevice)` },
    "max-labels": { type: "string", valueHint: "N", description: `Labels one device may have (default ${DEFAULT_LIMITS.labelsPerDevice}; config: serve.limits.labelsPerDevice)` },
    "max-label-length": { type: "string", valueHint: "N", description: `Characters of a label value (default ${DEFAULT_LIMITS.labelLength}; config: serve.limits.labelLength)` },
    "max-ws-clients": { type: "string", valueHint: "N", description: `Live /ws clients at once (default ${DEFAULT_LIMITS.wsClients}; config: serve.limits.wsClients)` },
  },
  subCommands: { key: keyCommand },
  async run({ args, data }) {
    const ctx = contextFor(args, data as CommandData);
    const port = args.port === undefined ? 8787 : Number(args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${args.port}: expected a port number 0–65535`);
    const host = args.host ?? "127.0.0.1";
    const retentionMs = parseDuration(args.retention ?? "30d", "--retention");
    const pushEveryMs = args["push-self"] === undefined ? undefined : parseDuration(args["push-self"], "--push-self");
    const rules = parseAlertRules(args.alerts);
    const config = loadConfig(ctx);
    const limits: Limits = { ...DEFAULT_LIMITS, ...config.serve.limits, ..._capFlags(args), requestsPerMinute: _rateLimit(args["rate-limit"]) };
    const keys = loadKeys(ctx, args["api-key"] ?? ctx.env.BAGTOWER_SERVE_API_KEY);
    const dbPath = args.db ?? join(ctx.paths.home, "serve.db");
    const forwardSinks = [...config.serve.forward, ...(args.forward ? [parseForward(args.forward)] : [])];
    const store = _open(dbPath, limits);
    const forwarder = forwardSinks.length ? createForwarder(ctx, config.http, forwardSinks, store, encodeOptions(ctx, config)) : undefined;
    let nudged = false;
    const onCommit = () => {
      if (!forwarder || nudged) return;
      nudged = true;
      setTimeout(() => {
        nudged = false;
        void forwarder.tick();
      }, 100);
    };
    const app = createServeApp({
      store,
      keys,
      limits,
      rules,
      publicRead: Boolean(args["public-read"]),
      pattooOpen: Boolean(args["pattoo-open"]),
      onCommit,
      now: ctx.now,
      log: ctx.log,
    });
    let server: ReturnType<typeof Bun.serve>;
    try {
      server = Bun.serve({
        hostname: host,
        port,
        fetch: app.fetch,
        websocket: app.websocket,
        // Over-long bodies are refused with our own 413 message; this is the hard ceiling.
        maxRequestBodySize: limits.bodyBytes * 2,
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
    const local = `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${server.port}`;
    ctx.log.info(`bagtower serve: listening on ${host}:${server.port}, database ${dbPath}`);
    if (keys.source === "generated") ctx.log.info(`ingest key: ${keys.ingest} (new; kept in ${keyFiles(ctx).ingest}; bagtower serve key shows it)`);
    ctx.log.info(`dashboard: ${local}/`);

    let retaining: Promise<void> | undefined;
    const retention = () => {
      retaining ??= store
        .deleteOlderThan(Math.floor((ctx.now() - retentionMs) / 1000))
        .then((removed) => {
          if (removed > 0) ctx.log.info(`retention: removed ${removed} rows older than ${args.retention ?? "30d"}`);
        })
        .catch((error) => ctx.log.error(`retention: ${errorMessage(error)}`))
        .finally(() => (retaining = undefined));
    };
    retention();
    const timers = [setInterval(app.checkDown, _DOWN_CHECK_MS), setInterval(retention, _RETENTION_EVERY_MS), _collectWhenIdle(app)];
    if (forwarder) {
      timers.push(setInterval(() => void forwarder.tick(), _FORWARD_EVERY_MS));
      for (const sink of forwardSinks) ctx.log.info(`forwarding everything accepted to ${sink.format} at ${sink.url}`);
    }
    if (pushEveryMs !== undefined) {
      const push = _selfPusher(ctx, config, local, keys.ingest);
      void push();
      timers.push(setInterval(push, pushEveryMs));
      ctx.log.info(`pushing this machine's record every ${args["push-self"]}`);
    }

    const stop = (data as CommandData | undefined)?.stop;
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
      stop?.addEventListener("abort", done);
    });
    for (const timer of timers) clearInterval(timer);
    await server.stop();
    await retaining;
    store.close();
    ctx.log.info("bagtower serve: stopped");
    return 0;
  },
});

/**
 * A full garbage collection once the requests stop: a burst of ingest leaves tens of megabytes of
 * garbage that the collector, with nothing new to allocate, would otherwise keep for minutes.
 */
function _collectWhenIdle(app: ServeApp): Timer {
  let seen = 0;
  let collectedAt = 0;
  return setInterval(() => {
    const handled = app.handled();
    if (handled === seen && handled !== collectedAt) {
      Bun.gc(true);
      collectedAt = handled;
    }
    seen = handled;
  }, _IDLE_GC_MS);
}

/** The store, or one line naming the file (not a database, a newer schema, no permission). */
function _open(dbPath: string, limits: Limits): Store {
  try {
    return openStore(dbPath, limits);
  } catch (error) {
    throw new BagtowerError(`${dbPath}: ${errorMessage(error)}`, ExitCode.failure, { cause: error });
  }
}

/** The --max-* flags given, as limits (whole numbers; 0 only where it means none, e.g. no labels). */
function _capFlags(args: Partial<Record<keyof typeof LIMIT_FLAGS, string | undefined>>): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const [flag, key] of Object.entries(LIMIT_FLAGS) as [keyof typeof LIMIT_FLAGS, keyof Limits][]) {
    const text = args[flag];
    if (text === undefined) continue;
    const n = Number(text);
    const min = key === "labelsPerDevice" || key === "wsClients" ? 0 : 1;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag} ${text}: expected a whole number ≥ ${min}`);
    out[key] = n;
  }
  return out;
}

function _rateLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMITS.requestsPerMinute;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new UsageError(`--rate-limit ${text}: expected a whole number of requests a minute (0: no limit)`);
  return n;
}
