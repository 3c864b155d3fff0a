import type { Server, ServerWebSocket } from "bun";
import type { Logger } from "../log.ts";
import { isDirectLoopback, presentedToken, rightOfToken, sameSecret, satisfies, type Grant, type Keys, type Right } from "./access.ts";
import { createRule, getAlert, listAlerts, listRulesApi, patchRule, removeRule, type AlertsApiContext } from "./alerts/api.ts";
import { createAlertEngine } from "./alerts/engine.ts";
import { seedRules, type RuleSeeds } from "./alerts/rules.ts";
import { prepareAlertSchema } from "./alerts/schema.ts";
import type { AlertTransition, NotifyTransition } from "./alerts/transition.ts";
import { channelsApi } from "./alerts/channels-api.ts";
import type { Notifier } from "./alerts/notifier.ts";
import type { Checks, Ping } from "./checks/checks.ts";
import { checksApi, parsePingAction, parsePushQuery } from "./checks/checks-api.ts";
import { AUTH_FAILURES_PER_MINUTE, createAuthFailures } from "./auth-failures.ts";
import { getDevice, getHistory, getSeries, listDevices, monitoringResources, patchDevice, type ApiContext } from "./api.ts";
import { dashboardAssets } from "./dashboard/assets.ts";
import { createDownloads, type Downloads } from "./downloads.ts";
import { createEventHub, EVENTS_TOPIC } from "./events.ts";
import { errorResponse, HttpError, jsonResponse } from "./http-errors.ts";
import { createHeapBound } from "./heap-bound.ts";
import { parseBagtowerBody } from "./ingest/bagtower.ts";
import { parseDatadog } from "./ingest/datadog.ts";
import { parseInflux } from "./ingest/influx.ts";
import { parsePattoo } from "./ingest/pattoo.ts";
import { parseTelemetrics } from "./ingest/telemetrics.ts";
import { installCommandInfo } from "./install-info.ts";
import { installerResponse, receiverUrl } from "./installer-route.ts";
import type { ParseOptions } from "./ingest/normalize.ts";
import { createRateLimiter, LimitError, parseJson, readBody, type Limits } from "./limits.ts";
import { createLoginVerifier } from "./login-token.ts";
import { createCounters, renderMetrics } from "./metrics.ts";
import { createRefusalLog } from "./refusal-log.ts";
import { checkHost, checkOrigin, hostName, sameOrigin, SECURITY_HEADERS } from "./same-origin.ts";
import { createSessions, sessionCookie, setSessionCookie } from "./session.ts";
import type { DeviceOrigin, IngestOutcome, IngestRecord, Store } from "./store.ts";

export interface ServeOptions {
  store: Store;
  keys: Keys;
  limits: Limits;
  /** The rules the config file and serve --rule give, and --alerts' thresholds for the defaults. */
  rules: RuleSeeds;
  /** Told of each alert that fires or resolves, after the change is committed (the notifier). */
  notify?: NotifyTransition;
  /** The same, each committed batch in one call (preferred: the notifier writes a batch in one transaction). */
  notifyAll?: (transitions: AlertTransition[]) => void;
  publicRead: boolean;
  now: () => number;
  log: Logger;
  /** pattoo agents cannot send an API key: accept their posts without one (trusted networks). */
  pattooOpen?: boolean;
  /** Called after each commit, to forward what was accepted. */
  onCommit?: () => void;
  /** The address browsers use when it is a name (--public-url): its Host and Origin are ours. */
  publicUrl?: URL;
  /** Failed authentications a minute one address may make (default 20; 0: no limit). */
  authFailuresPerMinute?: number;
  /** What /download/ hands out (default: nothing, as serve run from source without --downloads). */
  downloads?: Downloads;
  /** For session ids (default: the platform's CSPRNG). */
  randomBytes?: (size: number) => Uint8Array;
  /** Notification channels and their outbox: DOWN goes there, and the channels API works on it. */
  notifier?: Notifier;
  /** Heartbeat checks: the checks API and the ping routes. */
  checks?: Checks;
}

/** A handler answers, or returns undefined when it took the connection over (a WebSocket). */
type Handler = (request: Request, server: Server<unknown>, params: Record<string, string>) => Response | undefined | Promise<Response | undefined>;

interface Route {
  right: Right;
  method: string;
  path: string;
  pattern: RegExp;
  names: string[];
  /** Name for /metrics: the pattern, not the path (device ids would explode the label set). */
  name: string;
  handler: Handler;
}

/** A path segment, decoded; bad percent-encoding (`%E0%A4%A`) is the client's error, a 400. */
function _decodePathPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, `path: ${JSON.stringify(text.slice(0, 80))} is not valid percent-encoded UTF-8`);
  }
}

function _route(right: Right, method: string, path: string, handler: Handler): Route {
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/:([a-z]+)/g, (_, name: string) => (names.push(name), "([^/]+)"))}$`);
  return { right, method, path, pattern, names, name: `${method} ${path}`, handler };
}

/**
 * Routes by path: a fixed path is one map lookup, and only the few with a `:param` are matched by
 * pattern (testing every route's regex cost an ingest request about 5 µs, 4 % of its whole cost).
 */
function _router(routes: Route[]): (path: string) => Route[] {
  const fixed = new Map<string, Route[]>();
  const patterned = routes.filter((r) => r.names.length > 0);
  for (const route of routes) if (route.names.length === 0) fixed.set(route.path, [...(fixed.get(route.path) ?? []), route]);
  for (const path of fixed.keys()) {
    if (patterned.some((r) => r.pattern.test(path))) throw new Error(`route ${path} is also matched by a route with a parameter`);
  }
  return (path) => fixed.get(path) ?? patterned.filter((r) => r.pattern.test(path));
}

const _readOnly: Record<NonNullable<Grant["via"]>, string> = { token: "the read token", session: "this login", loopback: "a local connection", public: "--public-read" };

/** The receiver: routes → handlers, one error boundary, the store behind it, events out to /ws. */
export function createServeApp(options: ServeOptions) {
  const { store, keys, limits, now, log } = options;
  const events = createEventHub(now);
  prepareAlertSchema(store.db);
  seedRules(store.db, options.rules, Math.floor(now() / 1000));
  const alerts = createAlertEngine({
    db: store.db,
    events,
    notify: options.notify,
    notifyAll: options.notifyAll,
    now,
    log,
    labelsOf: (id) => store.labels(id),
    downDevices: () => store.devices().filter((d) => d.status === "DOWN"),
  });
  const alertsApi: AlertsApiContext = { db: store.db, alerts, now };
  const counters = createCounters();
  const api: ApiContext = { store, alerts, events, now };
  const rateLimit = createRateLimiter(limits.requestsPerMinute, now);
  const failures = createAuthFailures(options.authFailuresPerMinute ?? AUTH_FAILURES_PER_MINUTE, now);
  const refused = createRefusalLog(log, now);
  const sessions = createSessions(now, options.randomBytes ?? ((size) => crypto.getRandomValues(new Uint8Array(size))));
  const verifyLogin = createLoginVerifier(keys.admin, now);
  const origins = sameOrigin(options.publicUrl);
  const startedMs = now();
  const downloads = options.downloads ?? createDownloads({ log });
  const notifier = options.notifier;
  const channels = notifier && channelsApi(notifier);
  const checks = options.checks && checksApi(options.checks);

  const clientAddress = (request: Request, server: Server<unknown>): string | null => server.requestIP(request)?.address ?? null;

  /**
   * The ingest key, from wherever the protocol carries it (first candidate that is present), within
   * the rate limits of its client. Returns the client's address, which the store records. Refusals
   * go to the log (rate limited), so a fleet with a wrong key shows up on the server too.
   */
  function authorizeIngest(request: Request, server: Server<unknown>, candidates: (string | null | undefined)[] = [], where = "x-api-key"): string | null {
    const address = clientAddress(request, server);
    const refuse = (error: HttpError, reason: string) => {
      refused(address, reason, `${error.status} on ${request.method} ${new URL(request.url).pathname}`);
      return error;
    };
    try {
      failures.check(address);
    } catch (error) {
      throw refuse(error as HttpError, "too many failed authentications");
    }
    const key = [request.headers.get("x-api-key"), ...candidates].find((k) => k);
    if (!key || !sameSecret(key, keys.ingest)) {
      failures.record(address);
      if (!key) throw refuse(new HttpError(401, `${where}: required (bagtower serve key shows the ingest key)`), "no key");
      throw refuse(new HttpError(403, `${where}: not the ingest key of this receiver`), "wrong key");
    }
    try {
      rateLimit(key, address);
    } catch (error) {
      throw refuse(error as HttpError, "over the rate limit");
    }
    return address;
  }

  /**
   * The highest right a request proves. A token it presents counts under any Host name (a rebinding
   * page cannot know it); what a browser sends by itself (the session cookie, the loopback address)
   * counts only under a name of this server.
   */
  function grantOf(request: Request, address: string | null): Grant {
    const token = presentedToken(request);
    if (token !== undefined) {
      failures.check(address);
      const right = rightOfToken(token, keys);
      if (right) return { right, via: "token" };
      failures.record(address);
      throw new HttpError(401, "that token is neither the read token nor the admin token of this receiver (bagtower serve key shows them)");
    }
    checkHost(request, origins);
    const session = sessions.rightOf(sessionCookie(request));
    if (session) return { right: session, via: "session" };
    if (options.publicRead) return { right: "read", via: "public" };
    if (isDirectLoopback(request, address)) return { right: "read", via: "loopback" };
    return { right: null, via: null };
  }

  /** The route's right (see Right), and Origin on anything that changes state and on /ws. */
  function authorize(route: Route, request: Request, server: Server<unknown>): void {
    if ((request.method !== "GET" && request.method !== "HEAD") || route.name === "GET /ws") checkOrigin(request, origins);
    if (route.right === "open" || route.right === "ingest" || route.right === "token") return;
    if (route.right === "page") return checkHost(request, origins);
    const grant = grantOf(request, clientAddress(request, server));
    if (satisfies(grant, route.right)) return;
    const login = "bagtower serve key shows the tokens and prints a dashboard login link";
    if (route.right === "read") throw new HttpError(401, `reading needs the read token: Authorization: Bearer <token>, or log in to the dashboard (${login})`);
    if (grant.via) throw new HttpError(403, `this needs the admin token; ${_readOnly[grant.via]} only reads (${login})`);
    throw new HttpError(401, `this needs the admin token: Authorization: Bearer <admin token>, or log in to the dashboard (${login})`);
  }

  /** `/?login=<token>`: a one-time admin login link, or the read token (for a read-only screen), becomes a session cookie. */
  const login = (request: Request, server: Server<unknown>, token: string): Response => {
    const address = clientAddress(request, server);
    failures.check(address);
    let right: Grant["right"] = sameSecret(token, keys.read) ? "read" : null;
    if (!right) {
      const verdict = verifyLogin(token);
      if (verdict !== "ok") {
        failures.record(address);
        const why = { invalid: "is not a login link of this server", expired: "has expired", used: "was used already" }[verdict];
        throw new HttpError(401, `this login link ${why}: run bagtower serve key on the server for a fresh one`);
      }
      right = "admin";
    }
    const host = request.headers.get("host") ?? "";
    const secure = options.publicUrl?.protocol === "https:" && hostName(host) === hostName(options.publicUrl.host);
    // To the clean address: the token leaves the address bar (and the history); a fragment stays.
    return new Response(null, { status: 303, headers: { Location: "/", "Set-Cookie": setSessionCookie(sessions.create(right), secure), "Cache-Control": "no-store" } });
  };

  /**
   * The read token for a served installer's downloads, when the request proved it may have it: it
   * presented a token (the admin token gets the read token: a device needs no more) or has a session.
   */
  const downloadToken = (grant: Grant): string | undefined => (grant.via === "token" || grant.via === "session" ? keys.read : undefined);

  const installer: Handler = (request, server) => {
    const grant = grantOf(request, clientAddress(request, server));
    return installerResponse(receiverUrl(request, grant, options.publicUrl, origins), downloadToken(grant));
  };

  const download: Handler = (request, server, params) => (params.name === "install.sh" ? installer(request, server, params) : downloads.serve(params.name!));

  const installInfo: Handler = (request, server) => {
    const grant = grantOf(request, clientAddress(request, server));
    const base = receiverUrl(request, grant, options.publicUrl, origins);
    return jsonResponse(installCommandInfo({ base, readToken: downloadToken(grant), ingestKey: grant.right === "admin" ? keys.ingest : undefined, publicRead: options.publicRead, downloads: downloads.names() }));
  };

  /** Where devices reach this receiver, for a new check's ping URLs: --public-url, else the address this request used. */
  const baseUrl = (request: Request) => options.publicUrl?.origin ?? new URL(request.url).origin;

  /**
   * A ping with a check's token. The token is the credential: an unknown one is a 404 and counts as
   * a failed authentication, so guessing tokens meets the same limit as guessing keys.
   */
  const pinged = (request: Request, server: Server<unknown>, token: string, ping: Ping, ok: () => Response, missing: () => Response): Response => {
    const address = clientAddress(request, server);
    failures.check(address);
    if (options.checks!.ping(token, ping)) return ok();
    failures.record(address);
    return missing();
  };
  const kumaOk = () => jsonResponse({ ok: true });
  const kumaMissing = () => jsonResponse({ ok: false, msg: "no check with this token" }, 404);
  const hcOk = () => new Response("OK", { headers: { "Content-Type": "text/plain" } });
  const hcMissing = () => new Response("not found", { status: 404, headers: { "Content-Type": "text/plain" } });
  const pushHandler: Handler = (request, server, p) => pinged(request, server, p.token!, parsePushQuery(new URL(request.url).searchParams), kumaOk, kumaMissing);
  const pingHandler: Handler = async (request, server, p) => {
    const body = request.method === "POST" ? await readBody(request, limits) : "";
    return pinged(request, server, p.token!, parsePingAction(p.action, body), hcOk, hcMissing);
  };

  const upgradeWs: Handler = (request, server) => {
    if (wsClients >= limits.wsClients) throw new LimitError(429, "wsClients", `/ws: ${limits.wsClients} live clients already, the limit (serve --max-ws-clients)`);
    if (server.upgrade(request, { data: undefined })) return undefined;
    throw new HttpError(400, "/ws: expected a WebSocket upgrade");
  };

  /**
   * What the requests of one store turn committed, for the alert engine: their outcomes resolve
   * one after the other in the same microtask run, so a microtask queued by the first sees them
   * all, and the engine writes their transitions in one commit (one fsync), before the next I/O.
   */
  let forAlerts: { up: string[]; records: [string, Record<string, unknown>][] } | undefined;
  function _alertsSoon(up: string[], records: [string, Record<string, unknown>][]): void {
    if (!forAlerts) {
      forAlerts = { up: [], records: [] };
      queueMicrotask(() => {
        const batch = forAlerts!;
        forAlerts = undefined;
        try {
          alerts.ingested(batch.up, batch.records);
        } catch (error) {
          log.error(`alerts: ${error instanceof Error ? error.message : String(error)}`);
        }
      });
    }
    forAlerts.up.push(...up);
    forAlerts.records.push(...records);
  }

  /** After a commit: events, alerts, UP again. */
  function announce(outcome: IngestOutcome): void {
    for (const id of outcome.up) events.publish("device.up", { deviceId: id });
    const records: [string, Record<string, unknown>][] = [];
    for (const record of outcome.stored) {
      const items = Object.fromEntries(record.data.map((i) => [i.id, i.val]));
      events.publish("device.log", { deviceId: record.deviceId, recordId: record.recordId ?? null, unixTimestamp: record.unixTimestamp, items });
      records.push([record.deviceId, items]);
    }
    if (outcome.up.length || records.length) _alertsSoon(outcome.up, records);
  }

  /** What the parsers check records against, at this request's time. */
  const parsing = (): ParseOptions => ({ limits, nowS: Math.floor(now() / 1000) });

  const heapBound = createHeapBound();
  /** Stores validated records and answers when they are committed. */
  async function ingest(records: IngestRecord[], address: string | null, origin: DeviceOrigin = "key"): Promise<IngestOutcome> {
    heapBound.beforeStore(records.length);
    const started = performance.now();
    const outcome = await store.ingest(records, address, now(), origin);
    counters.ingested(outcome.accepted, outcome.duplicates, (performance.now() - started) / 1000);
    announce(outcome);
    if (outcome.accepted > 0) options.onCommit?.();
    return outcome;
  }

  const ingestPattoo: Handler = async (request, server, params) => {
    const open = options.pattooOpen && !request.headers.get("x-api-key");
    let address: string | null;
    if (open) {
      // Keyless posts share one rate-limit client per address, and the store keeps them off devices created with the key.
      address = clientAddress(request, server);
      try {
        rateLimit("pattoo-open", address);
      } catch (error) {
        refused(address, "over the rate limit", `${(error as HttpError).status} on ${request.method} ${new URL(request.url).pathname} (no key, --pattoo-open)`);
        throw error;
      }
    } else {
      address = authorizeIngest(request, server, [], "x-api-key (or serve --pattoo-open for agents that cannot send one)");
    }
    const records = parsePattoo(parseJson(await readBody(request, limits)), params.agent!, parsing());
    await ingest(records, address, open ? "open" : "key");
    return new Response("OK", { headers: { "Content-Type": "text/plain" } });
  };

  const ingestDatadog: Handler = async (request, server) => {
    const address = authorizeIngest(request, server, [request.headers.get("dd-api-key"), new URL(request.url).searchParams.get("api_key")], "DD-API-KEY");
    const records = parseDatadog(parseJson(await readBody(request, limits)), parsing());
    if (records.length > 0) await ingest(records, address);
    return jsonResponse({ status: "ok" }, 202);
  };

  const ingestInflux: Handler = async (request, server) => {
    const params = new URL(request.url).searchParams;
    const auth = request.headers.get("authorization");
    const token = auth?.match(/^(?:Token|Bearer)\s+(.+)$/i)?.[1] ?? (auth?.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64").toString().split(":").slice(1).join(":") : undefined);
    const address = authorizeIngest(request, server, [token, params.get("p"), params.get("token")], "Authorization: Token <key> (or ?p=<key>)");
    const records = parseInflux(await readBody(request, limits), params, parsing());
    await ingest(records, address);
    return new Response(null, { status: 204 });
  };

  const ingestTelemetrics: Handler = async (request, server) => {
    const address = authorizeIngest(request, server, [request.headers.get("x-telemetry-tid")], "x-api-key or X-Telemetry-TID");
    const records = parseTelemetrics(request.headers, await readBody(request, limits), parsing());
    await ingest(records, address);
    return new Response("Record submitted\n", { status: 201, headers: { "Content-Type": "text/plain" } });
  };

  const ingestBagtower: Handler = async (request, server) => {
    const address = authorizeIngest(request, server);
    const records = parseBagtowerBody(parseJson(await readBody(request, limits)), parsing());
    const outcome = await ingest(records, address);
    return jsonResponse({
      status: "ok",
      accepted: outcome.accepted,
      duplicates: outcome.duplicates,
      periodSeconds: outcome.periodSeconds,
      batchMax: limits.recordsPerRequest,
    });
  };

  const asset = (path: string): Handler => (request, server) => {
    const token = path === "/" ? new URL(request.url).searchParams.get("login") : null;
    if (token !== null) return login(request, server, token);
    const file = dashboardAssets[path]!;
    return new Response(file.body, { headers: { "Content-Type": file.type, "Cache-Control": file.cache } });
  };

  // The whole access policy: each route's right comes first (see Right in access.ts).
  const routes: Route[] = [
    _route("ingest", "POST", "/logs", ingestBagtower),
    _route("ingest", "POST", "/prod/logs", ingestBagtower),
    _route("ingest", "POST", "/pattoo/api/v1/agent/receive/:agent", ingestPattoo),
    _route("open", "GET", "/pattoo/api/v1/agent/status", () => new Response("The Pattoo Agent API is Operational.\n", { headers: { "Content-Type": "text/plain" } })),
    _route("ingest", "POST", "/api/v1/series", ingestDatadog),
    _route("ingest", "POST", "/write", ingestInflux),
    _route("ingest", "POST", "/api/v2/write", ingestInflux),
    _route("ingest", "POST", "/", ingestTelemetrics),
    _route("ingest", "POST", "/v2/collector", ingestTelemetrics),
    // telemetrics-client 2.4's default address; the handler reads either form on all three paths.
    _route("ingest", "POST", "/v3/collector", ingestTelemetrics),
    _route("open", "GET", "/healthz", () => jsonResponse({ status: "ok", uptimeSeconds: Math.round((now() - startedMs) / 1000), ...store.counts(), store: store.stats() })),
    _route("read", "GET", "/metrics", async () => new Response(await renderMetrics(store, alerts, counters, wsClients), { headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" } })),
    _route("read", "GET", "/ws", upgradeWs),
    _route("read", "GET", "/api/devices", (request) => jsonResponse(listDevices(api, new URL(request.url).searchParams))),
    _route("read", "GET", "/api/devices/:id", (_r, _s, p) => jsonResponse(getDevice(api, p.id!))),
    _route("admin", "PATCH", "/api/devices/:id", async (request, _s, p) => jsonResponse(patchDevice(api, p.id!, parseJson(await readBody(request, limits))))),
    _route("read", "GET", "/api/devices/:id/series", (request, _s, p) => jsonResponse(getSeries(api, p.id!, new URL(request.url).searchParams))),
    _route("read", "GET", "/api/devices/:id/history", (request, _s, p) => jsonResponse(getHistory(api, p.id!, new URL(request.url).searchParams))),
    _route("read", "GET", "/api/alerts", (request) => jsonResponse(listAlerts(alertsApi, new URL(request.url).searchParams))),
    _route("read", "GET", "/api/alerts/:id", (_r, _s, p) => jsonResponse(getAlert(alertsApi, p.id!))),
    _route("read", "GET", "/api/rules", () => jsonResponse(listRulesApi(alertsApi))),
    _route("admin", "POST", "/api/rules", async (request) => jsonResponse(createRule(alertsApi, parseJson(await readBody(request, limits))), 201)),
    _route("admin", "PATCH", "/api/rules/:id", async (request, _s, p) => jsonResponse(patchRule(alertsApi, p.id!, parseJson(await readBody(request, limits))))),
    _route("admin", "DELETE", "/api/rules/:id", (_r, _s, p) => jsonResponse(removeRule(alertsApi, p.id!))),
    _route("read", "GET", "/api/monitoring/resources", (request) => jsonResponse(monitoringResources(api, new URL(request.url).searchParams))),
    // The installer and the agent it downloads: reads, like the data (a device on another host needs the read token).
    _route("read", "GET", "/install.sh", installer),
    _route("read", "GET", "/download/:name", download),
    // The dashboard's "Add a device" command; the ingest key only for an admin.
    _route("read", "GET", "/api/install", installInfo),
    ...(channels
      ? [
          _route("read", "GET", "/api/channels", () => jsonResponse(channels.list())),
          _route("admin", "POST", "/api/channels", async (request) => jsonResponse(channels.add(parseJson(await readBody(request, limits))), 201)),
          _route("admin", "PATCH", "/api/channels/:id", async (request, _s, p) => jsonResponse(channels.update(p.id!, parseJson(await readBody(request, limits))))),
          _route("admin", "DELETE", "/api/channels/:id", (_r, _s, p) => jsonResponse(channels.remove(p.id!))),
          _route("admin", "POST", "/api/channels/:id/test", async (_r, _s, p) => jsonResponse(await channels.test(p.id!))),
          _route("read", "GET", "/api/notifications", (request) => jsonResponse(channels.history(new URL(request.url).searchParams))),
        ]
      : []),
    ...(checks
      ? [
          _route("read", "GET", "/api/checks", () => jsonResponse(checks.list())),
          _route("admin", "POST", "/api/checks", async (request) => jsonResponse(checks.create(parseJson(await readBody(request, limits)), baseUrl(request)), 201)),
          _route("read", "GET", "/api/checks/:id", (_r, _s, p) => jsonResponse(checks.get(p.id!))),
          _route("admin", "DELETE", "/api/checks/:id", (_r, _s, p) => jsonResponse(checks.remove(p.id!))),
          // A check's token in the path is the credential (Uptime Kuma's and healthchecks.io's URLs).
          _route("token", "GET", "/api/push/:token", pushHandler),
          _route("token", "POST", "/api/push/:token", pushHandler),
          _route("token", "GET", "/ping/:token", pingHandler),
          _route("token", "POST", "/ping/:token", pingHandler),
          _route("token", "GET", "/ping/:token/:action", pingHandler),
          _route("token", "POST", "/ping/:token/:action", pingHandler),
        ]
      : []),
    // What this browser may do, so the dashboard can say so before the user tries.
    _route("page", "GET", "/api/session", (request, server) => jsonResponse(grantOf(request, clientAddress(request, server)))),
    // The dashboard's files hold no data; `/?login=` is its login (asset("/")).
    ...Object.keys(dashboardAssets).map((path) => _route("page", "GET", path, asset(path))),
  ];

  const routesOf = _router(routes);
  let handled = 0;

  async function fetch(request: Request, server: Server<unknown>): Promise<Response | undefined> {
    handled++;
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      // Bun builds the URL from the Host header: one that is no host[:port] is the client's error.
      counters.request("unmatched", 400);
      const refused = errorResponse(new HttpError(400, `Host ${(request.headers.get("host") ?? "").slice(0, 100)}: expected host[:port]`));
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) refused.headers.set(name, value);
      return refused;
    }
    let routeName = "unmatched";
    let right: Right | undefined;
    let response: Response;
    try {
      const matching = routesOf(url.pathname);
      if (matching.length === 0) throw new HttpError(404, `no route for ${url.pathname}`);
      const route = matching.find((r) => r.method === request.method || (r.method === "GET" && request.method === "HEAD"));
      if (!route) throw new HttpError(405, `${request.method} is not allowed on ${url.pathname} (allowed: ${matching.map((r) => r.method).join(", ")})`, { Allow: matching.map((r) => r.method).join(", ") });
      routeName = route.name;
      right = route.right;
      authorize(route, request, server);
      const match = route.pattern.exec(url.pathname)!;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = _decodePathPart(match[i + 1]!);
      });
      const answer = await route.handler(request, server, params);
      if (answer === undefined) return undefined;
      response = answer;
    } catch (error) {
      if (error instanceof HttpError) {
        if (error instanceof LimitError) counters.refused(error.limit);
        response = errorResponse(error);
      } else {
        // The server never crashes on input: anything unexpected is a 500 and a log line.
        log.error(`${request.method} ${url.pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        response = jsonResponse({ status: "error", error: "internal error (see the server's log)" }, 500);
      }
    }
    counters.request(routeName, response.status);
    // Devices, not browsers, read the ingest APIs' answers: their hot path does without the headers.
    if (right !== "ingest") for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
    return response;
  }

  let wsClients = 0;
  const websocket = {
    // A client that leaves this much unread is disconnected: a slow or stalled reader cannot make
    // the receiver buffer the event stream for it.
    backpressureLimit: limits.wsBufferedBytes,
    closeOnBackpressureLimit: true,
    open(ws: ServerWebSocket<unknown>) {
      wsClients++;
      ws.subscribe(EVENTS_TOPIC);
    },
    close() {
      wsClients--;
    },
    message() {
      // The event stream is one-way.
    },
  };

  /**
   * Devices silent for twice their period are DOWN (SPEC §9): one UPDATE for all of them, then the
   * events and their alerts (one transaction); pending alerts whose `for` has passed fire.
   */
  function checkDown(): void {
    const down = store.markDown(now() / 1000);
    for (const device of down) events.publish("device.down", { deviceId: device.id, lastSeen: new Date(device.lastSeen * 1000).toISOString() });
    alerts.down(down);
    alerts.tick();
  }

  return { fetch, websocket, events, alerts, counters, downloads, checkDown, handled: () => handled, attach: (server: Server<unknown>) => events.attach(server) };
}

export type ServeApp = ReturnType<typeof createServeApp>;
