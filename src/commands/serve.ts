import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, resolve } from "../posix-path.ts";
import { globalArgs } from "../argv.ts";
import { loadConfig } from "../config/load.ts";
import { serveConfig } from "../config/serve-schema.ts";
import type { SinkConfig } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { encodeOptions } from "../deliver/encode-options.ts";
import { selfPusher } from "../deliver/push-once.ts";
import { parseDuration } from "../duration.ts";
import { parseFlag, wholeNumberText } from "../flag-value.ts";
import { writeFileAtomic } from "../atomic-file.ts";
import { ConfigError, errorMessage, ExitCode, UsageError } from "../errors.ts";
import { keyFiles, loadKeys, MIN_KEY_LENGTH, type Keys } from "../serve/access.ts";
import { parseRuleExpr, RuleExprError } from "../serve/alerts/rule-expr.ts";
import { MAX_RULES, type DefaultThresholds, type RuleInput } from "../serve/alerts/rules.ts";
import { DEFAULT_LIMITS, LIMIT_FLAGS, type Limits } from "../serve/limits.ts";
import { LOGIN_TOKEN_TTL_MS, mintLoginToken } from "../serve/login-token.ts";
import { parsePublicUrl } from "../serve/same-origin.ts";
import { startServe } from "../serve/server.ts";
import { DEFAULT_RETENTION, formatDuration, formatRetention, parseRetention } from "../serve/tsdb/tiers.ts";
import { runningLong } from "../jit.ts";
import { reexecWithServeOptions } from "../runtime-options.ts";
import { defineBagtowerCommand } from "./_shared.ts";

/** `cpu=85,memory=90,disk=95,wifi=30` → the thresholds of those default rules (the others keep theirs). */
export function parseAlertRules(text: string | undefined): DefaultThresholds {
  const thresholds: DefaultThresholds = {};
  if (!text) return thresholds;
  for (const part of text.split(",")) {
    const [name, value] = part.split("=").map((s) => s.trim());
    const number = Number(value);
    if (!["cpu", "memory", "disk", "wifi"].includes(name ?? "") || !value || !Number.isFinite(number) || number < 0 || number > 100) {
      throw new UsageError(`--alerts ${part}: expected name=percent with a name of cpu, memory, disk or wifi`);
    }
    thresholds[name as keyof DefaultThresholds] = number;
  }
  return thresholds;
}

/** The config file's serve.rules and the --rule flags, checked before serve starts (one line for a bad one). */
export function ruleSeeds(config: (string | RuleInput)[], flags: string[]): { config: RuleInput[]; flags: RuleInput[] } {
  const check = (input: RuleInput, where: string, error: (message: string) => Error) => {
    try {
      parseRuleExpr(input.expr);
    } catch (e) {
      if (e instanceof RuleExprError) throw error(`${where}: ${e.message}`);
      throw e;
    }
    return input;
  };
  const fromConfig = config.map((r, i) => check(typeof r === "string" ? { expr: r } : r, `serve.rules[${i}] ${JSON.stringify(typeof r === "string" ? r : r.expr)}`, (m) => new ConfigError(m)));
  const fromFlags = flags.map((expr) => check({ expr }, `--rule ${JSON.stringify(expr)}`, (m) => new UsageError(m)));
  if (fromConfig.length + fromFlags.length > MAX_RULES) throw new ConfigError(`${fromConfig.length + fromFlags.length} rules from serve.rules and --rule: at most ${MAX_RULES}`);
  return { config: fromConfig, flags: fromFlags };
}

/** `influx=http://vm:8428` → a sink (influx writes to database `bagtower`). */
export function parseForward(text: string): SinkConfig {
  const at = text.indexOf("=");
  const format = text.slice(0, Math.max(at, 0));
  const url = text.slice(at + 1);
  if (at <= 0 || !["influx", "datadog", "prometheus", "remote_write", "bagtower"].includes(format) || !/^https?:\/\/\S+$/.test(url)) {
    throw new UsageError(`--forward ${text}: expected FORMAT=URL with FORMAT influx, datadog, prometheus, remote_write or bagtower (e.g. influx=http://127.0.0.1:8428, remote_write=http://127.0.0.1:8428/api/v1/write)`);
  }
  return { name: `forward-${format}`, format: format as SinkConfig["format"], url, ...(format === "influx" ? { database: "bagtower" } : {}) };
}

/** The dashboard's one-time admin login link (the address alone when serve never ran in this home). */
function _loginUrl(ctx: Context, base: string | undefined, keys: Keys): string {
  return `${base ?? ""}/?login=${mintLoginToken(keys.admin, ctx.now(), ctx.randomBytes)}`;
}

const keyCommand = defineBagtowerCommand({
  meta: { name: "key", description: "Show the ingest key, the read and admin tokens and a dashboard login link (or make new ones with --rotate)" },
  args: { ...globalArgs, rotate: { type: "boolean", description: "Replace all three with new random ones (restart serve to use them)" }, json: { type: "boolean", description: "Print JSON" } },
  run({ args, ctx }) {
    // The environment's key is the one a serve started from this environment uses (flags it cannot know).
    const fromEnv = ctx.env.BAGTOWER_SERVE_API_KEY ? { key: ctx.env.BAGTOWER_SERVE_API_KEY, source: "env" as const } : undefined;
    const keys = loadKeys(ctx, fromEnv, Boolean(args.rotate));
    const files = keyFiles(ctx);
    // serve writes the address it printed at start to serve-url, so the link names the running serve.
    const base = existsSync(ctx.paths.serveUrl) ? readFileSync(ctx.paths.serveUrl, "utf8").trim() : undefined;
    const loginUrl = _loginUrl(ctx, base, keys);
    const minutes = LOGIN_TOKEN_TTL_MS / 60_000;
    if (args.json) ctx.write(`${JSON.stringify({ ingestKey: keys.ingest, readToken: keys.read, adminToken: keys.admin, loginUrl, files })}\n`);
    else
      ctx.write(
        [
          `ingest key   ${keys.ingest}  (${files.ingest}; devices send it as x-api-key)`,
          `read token   ${keys.read}  (${files.read}; reads: Authorization: Bearer …, or ${base ?? ""}/?login=<read token> for a read-only screen)`,
          `admin token  ${keys.admin}  (${files.admin}; changes: Authorization: Bearer …)`,
          `admin login  ${loginUrl}  (works once, for ${minutes} minutes${base ? "" : "; put the dashboard's address in front"})`,
          "",
        ].join("\n"),
      );
    if (args.rotate) ctx.log.info("new keys written; a running serve keeps the old ones until it restarts");
    return { exitCode: ExitCode.ok, data: { rotated: Boolean(args.rotate) } };
  },
});

/** A repeatable flag's values: none, one, or several. */
const _list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export default defineBagtowerCommand({
  meta: { name: "serve", description: "Receive records, store them in SQLite, serve the dashboard, fleet API and /metrics" },
  args: {
    ...globalArgs,
    host: { type: "string", valueHint: "ADDRESS", description: "Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)" },
    port: { type: "string", valueHint: "PORT", description: "Port (default 8787; 0 picks a free one)" },
    db: { type: "string", valueHint: "FILE", description: "SQLite database (default HOME/serve.db)" },
    "api-key": { type: "string", valueHint: "KEY", description: "Ingest key devices must send, at least 16 characters (BAGTOWER_SERVE_API_KEY; default: generated and kept in HOME/serve-key)" },
    "api-key-file": { type: "string", valueHint: "FILE", description: "Read the ingest key (at least 16 characters) from FILE: keeps it out of ps" },
    "public-url": { type: "string", valueHint: "URL", description: "The address browsers use, when it is a name (e.g. https://bagtower.example.org): its Host and Origin are accepted, and the dashboard line shows it" },
    "public-read": { type: "boolean", description: "Let any host read the dashboard and API without the read token (never change anything)" },
    downloads: { type: "string", valueHint: "DIR", description: "Also hand out the release files in DIR (bagtower-linux-<arch>[-musl], e.g. the dist/ of npm run build:all) under /download/, for install.sh" },
    retention: { type: "string", valueHint: "TIERS", description: "Keep raw samples this long (e.g. 30d, the default), or each tier: raw=30d,5m=90d,1h=2y (the defaults; config: serve.retention)" },
    "dedup-window": { type: "string", valueHint: "DURATION", description: "Remember record ids this long to refuse duplicates (default 7d, as long as agents keep a spooled record)" },
    "push-self": { type: "string", valueHint: "INTERVAL", description: "Also collect this machine and push it here every INTERVAL (e.g. 10s)" },
    rule: { type: "string", valueHint: "EXPR", repeatable: true, description: "An alert rule, e.g. 'cpu > 80 for 10m' (repeatable; config: serve.rules; docs/ALERTS.md)" },
    alerts: { type: "string", valueHint: "RULES", description: "Thresholds of the default alert rules, e.g. cpu=80,memory=90,disk=95,wifi=30 (the defaults)" },
    "alert-history": { type: "string", valueHint: "DURATION", description: "Keep resolved alerts and their history this long (default 90d)" },
    forward: { type: "string", valueHint: "FORMAT=URL", description: "Also send everything accepted to influx=URL, datadog=URL, prometheus=URL or remote_write=URL (the write endpoint) (config: serve.forward)" },
    channel: { type: "string", valueHint: "URL", repeatable: true, description: "Send every alert to this channel URL, e.g. ntfy://ntfy.sh/topic or smtp://user:pass@host:587/?from=…&to=… (repeatable; config: serve.channels; docs/NOTIFICATIONS.md)" },
    "pattoo-open": { type: "boolean", description: "Accept pattoo agents' posts without an API key (they cannot send one)" },
    "rate-limit": { type: "string", valueHint: "N", description: `Ingest requests a minute one address may send with the key (default ${DEFAULT_LIMITS.requestsPerMinute}; 0: no limit)` },
    "max-devices": { type: "string", valueHint: "N", description: `Devices the ingest key (or --pattoo-open's agents) may create (default ${DEFAULT_LIMITS.devicesPerKey}; config: serve.limits.devicesPerKey)` },
    "max-items": { type: "string", valueHint: "N", description: `Items one device may have (default ${DEFAULT_LIMITS.itemsPerDevice}; config: serve.limits.itemsPerDevice)` },
    "max-labels": { type: "string", valueHint: "N", description: `Labels one device may have (default ${DEFAULT_LIMITS.labelsPerDevice}; config: serve.limits.labelsPerDevice)` },
    "max-label-length": { type: "string", valueHint: "N", description: `Characters of a label value (default ${DEFAULT_LIMITS.labelLength}; config: serve.limits.labelLength)` },
    "max-ws-clients": { type: "string", valueHint: "N", description: `Live /ws clients at once (default ${DEFAULT_LIMITS.wsClients}; config: serve.limits.wsClients)` },
  },
  subCommands: { key: keyCommand },
  async run({ args, ctx, data }) {
    if (data.processEntry) reexecWithServeOptions(ctx.env);
    runningLong();
    const port = args.port === undefined ? 8787 : parseFlag(wholeNumberText(0, 65535, "expected a port number 0–65535"), args.port, "--port");
    const host = args.host ?? "127.0.0.1";
    if (!host.trim()) throw new UsageError("--host needs an address: 127.0.0.1 (the default), ::1, 0.0.0.0 or :: for every interface, or one of this machine's");
    const retentionFlag = args.retention === undefined ? undefined : parseRetention(args.retention);
    const dedupWindowS = Math.round(parseDuration(args["dedup-window"] ?? "7d", "--dedup-window") / 1000);
    const pushEveryMs = args["push-self"] === undefined ? undefined : parseDuration(args["push-self"], "--push-self");
    const thresholds = parseAlertRules(args.alerts);
    const alertHistoryMs = parseDuration(args["alert-history"] ?? "90d", "--alert-history");
    const config = loadConfig(ctx);
    const settings = serveConfig(config.serve);
    const retention = retentionFlag ?? settings.retention ?? DEFAULT_RETENTION;
    const rules = { ...ruleSeeds(settings.rules, args.rule), thresholds };
    const limits: Limits = { ...DEFAULT_LIMITS, ...settings.limits, ..._capFlags(args), requestsPerMinute: _rateLimit(args["rate-limit"]) };
    const publicUrl = args["public-url"] === undefined ? undefined : parsePublicUrl(args["public-url"]);
    const dbPath = args.db ?? ctx.paths.serveDb;
    if (args.db !== undefined) _checkDbDirectory(args.db);
    const forwardSinks = [...settings.forward, ...(args.forward ? [parseForward(args.forward)] : [])];
    // Last before the start: a key generated here is either shown or, if the start fails, removed.
    const keys = loadKeys(ctx, _givenKey(ctx, args["api-key"], args["api-key-file"]));
    const serve = _startOrForgetKey(ctx, keys, () => startServe(ctx, {
      host,
      port,
      dbPath,
      keys,
      limits,
      rules,
      retention,
      dedupWindowS,
      alertHistory: { ms: alertHistoryMs, text: args["alert-history"] ?? "90d" },
      publicRead: Boolean(args["public-read"]),
      pattooOpen: Boolean(args["pattoo-open"]),
      publicUrl,
      downloadsDir: args.downloads,
      forward: forwardSinks.length ? { sinks: forwardSinks, http: config.http, encode: encodeOptions(ctx, config) } : undefined,
      selfPush: pushEveryMs === undefined ? undefined : { everyMs: pushEveryMs, push: selfPusher(ctx, config) },
      channels: { config: settings.channels, flags: _list(args.channel) },
    }));
    ctx.log.info(`bagtower serve: listening on ${serve.url}/, database ${dbPath}`);
    if (keys.source === "generated") ctx.log.info(`ingest key: ${keys.ingest} (new; kept in ${keyFiles(ctx).ingest}; bagtower serve key shows it)`);
    const base = publicUrl ? publicUrl.origin : serve.url;
    writeFileAtomic(ctx.paths.serveUrl, `${base}\n`, { durable: false });
    // Like Jupyter's: whoever started serve opens the dashboard as admin; the link works once.
    ctx.log.info(`dashboard: ${_loginUrl(ctx, base, keys)} (admin login, works once for ${LOGIN_TOKEN_TTL_MS / 60_000} minutes; bagtower serve key prints a fresh one)`);
    ctx.log.info(`keeping ${formatRetention(retention)} (raw samples, 5-minute and 1-hour rollups); record ids for ${formatDuration(dedupWindowS)} to refuse duplicates`);
    const served = serve.app.downloads.names();
    if (served.length > 0) ctx.log.info(`install a device: curl -fsSL ${base}/install.sh | sh -s -- --api-key KEY --device-id ID (downloads: ${served.join(", ")})`);
    else ctx.log.info("no agent downloads: this serve runs from source; start the built executable or give --downloads DIR for /install.sh");
    for (const sink of forwardSinks) ctx.log.info(`forwarding everything accepted to ${sink.format} at ${sink.url}`);
    for (const channel of serve.notifier.channels.list()) ctx.log.info(`alerts go to channel ${channel.id}: ${channel.url}`);
    if (pushEveryMs !== undefined) ctx.log.info(`pushing this machine's record every ${args["push-self"]}`);

    const stop = data.stop;
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
      stop?.addEventListener("abort", done);
    });
    await serve.stop();
    ctx.log.info("bagtower serve: stopped");
    return { exitCode: ExitCode.ok, data: { url: serve.url } };
  },
});

/**
 * A key generated for a start that then fails (the port is taken) was never shown: removing it
 * lets the next start generate one and say so, instead of using a key nobody was told about.
 */
function _startOrForgetKey<T>(ctx: Context, keys: Keys, start: () => T): T {
  try {
    return start();
  } catch (error) {
    if (keys.source === "generated") rmSync(keyFiles(ctx).ingest, { force: true });
    throw error;
  }
}

/** --db names a file in an existing directory: a typo must not create /nonexistent/dir. */
function _checkDbDirectory(path: string): void {
  const dir = dirname(resolve(path));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`--db ${path}: the directory ${dir} does not exist; create it first or pick another path`);
}

/** The --max-* flags given, as limits (whole numbers; 0 only where it means none, e.g. no labels). */
function _capFlags(args: Partial<Record<keyof typeof LIMIT_FLAGS, string | undefined>>): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const [flag, key] of Object.entries(LIMIT_FLAGS) as [keyof typeof LIMIT_FLAGS, keyof Limits][]) {
    const text = args[flag];
    if (text === undefined) continue;
    out[key] = parseFlag(wholeNumberText(key === "labelsPerDevice" || key === "wsClients" ? 0 : 1), text, `--${flag}`);
  }
  return out;
}

/** The ingest key from --api-key, --api-key-file or BAGTOWER_SERVE_API_KEY, long enough not to be guessed. */
function _givenKey(ctx: Context, flag: string | undefined, file: string | undefined): Parameters<typeof loadKeys>[1] {
  if (flag !== undefined && file !== undefined) throw new UsageError("--api-key and --api-key-file: give one of them");
  let given: Parameters<typeof loadKeys>[1];
  if (flag !== undefined) given = { key: flag, source: "flag" };
  else if (file !== undefined) {
    try {
      given = { key: readFileSync(file, "utf8").trim(), source: "file" };
    } catch (error) {
      throw new ConfigError(`--api-key-file ${file}: ${errorMessage(error)}`, { cause: error });
    }
  } else if (ctx.env.BAGTOWER_SERVE_API_KEY) given = { key: ctx.env.BAGTOWER_SERVE_API_KEY, source: "env" };
  if (!given) return undefined;
  const named = { flag: "--api-key", file: `--api-key-file ${file}`, env: "BAGTOWER_SERVE_API_KEY" }[given.source];
  if (given.key.length < MIN_KEY_LENGTH) {
    throw new ConfigError(`${named}: the ingest key has ${given.key.length} characters, at least ${MIN_KEY_LENGTH} are needed (leave it out and serve generates one)`);
  }
  if (given.source === "flag") ctx.log.warn("--api-key is visible to every user in ps: prefer --api-key-file FILE or BAGTOWER_SERVE_API_KEY");
  return given;
}

function _rateLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMITS.requestsPerMinute;
  return parseFlag(wholeNumberText(0, Number.MAX_SAFE_INTEGER, "expected a whole number of requests a minute (0: no limit)"), text, "--rate-limit");
}
