import type { Server, ServerWebSocket } from "bun";
import type { Logger } from "../log.ts";
import { checkRead, sameSecret, type Keys } from "./access.ts";
import { createAlerts, type AlertRules } from "./alerts.ts";
import { getDevice, getSeries, listDevices, monitoringResources, patchDevice, type ApiContext } from "./api.ts";
import { dashboardAssets } from "./dashboard/assets.ts";
import { createEventHub, EVENTS_TOPIC } from "./events.ts";
import { errorResponse, HttpError, jsonResponse } from "./http-errors.ts";
import { parseBagtowerBody } from "./ingest/bagtower.ts";
import { parseDatadog } from "./ingest/datadog.ts";
import { parseInflux } from "./ingest/influx.ts";
import { parsePattoo } from "./ingest/pattoo.ts";
import { parseTelemetrics } from "./ingest/telemetrics.ts";
import type { ParseOptions } from "./ingest/normalize.ts";
import { createRateLimiter, LimitError, parseJson, readBody, type Limits } from "./limits.ts";
import { createCounters, renderMetrics } from "./metrics.ts";
import type { DeviceOrigin, IngestOutcome, IngestRecord, Store } from "./store.ts";

export interface ServeOptions {
  store: Store;
  keys: Keys;
  limits: Limits;
  rules: AlertRules;
  publicRead: boolean;
  now: () => number;
  log: Logger;
  /** pattoo agents cannot send an API key: accept their posts without one (trusted networks). */
  pattooOpen?: boolean;
  /** Called after each commit, to forward what was accepted. */
  onCommit?: () => void;
}

type Handler = (request: Request, server: Server<unknown>, params: Record<string, string>) => Response | Promise<Response>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  /** Name for /metrics: the pattern, not the path (device ids would explode the label set). */
  name: string;
  handler: Handler;
  read?: boolean;
}

/** A path segment, decoded; bad percent-encoding (`%E0%A4%A`) is the client's error, a 400. */
function _decodePathPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, `path: ${JSON.stringify(text.slice(0, 80))} is not valid percent-encoded UTF-8`);
  }
}

function _route(method: string, path: string, handler: Handler, read = false): Route {
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/:([a-z]+)/g, (_, name: string) => (names.push(name), "([^/]+)"))}$`);
  return { method, pattern, names, name: `${method} ${path}`, handler, read };
}

/** The receiver: routes → handlers, one error boundary, the store behind it, events out to /ws. */
export function createServeApp(options: ServeOptions) {
  const { store, keys, limits, now, log } = options;
  const events = createEventHub(now);
  const alerts = createAlerts(events, options.rules, now);
  const counters = createCounters();
  const api: ApiContext = { store, alerts, events, now };
  const rateLimit = createRateLimiter(limits.requestsPerMinute, now);
  const startedMs = now();

  const clientAddress = (request: Request, server: Server<unknown>): string | null => server.requestIP(request)?.address ?? null;

  /**
   * The ingest key, from wherever the protocol carries it (first candidate that is present), within
   * the rate limit of its client. Returns the client's address, which the store records.
   */
  function authorizeIngest(request: Request, server: Server<unknown>, candidates: (string | null | undefined)[] = [], where = "x-api-key"): string | null {
    const key = [request.headers.get("x-api-key"), ...candidates].find((k) => k);
    if (!key) throw new HttpError(401, `${where}: required (bagtower serve key shows the ingest key)`);
    if (!sameSecret(key, keys.ingest)) throw new HttpError(403, `${where}: not the ingest key of this receiver`);
    const address = clientAddress(request, server);
    rateLimit(key, address);
    return address;
  }

  /** After a commit: events, alerts, UP again. */
  function announce(outcome: IngestOutcome): void {
    for (const id of outcome.up) {
      events.publish("device.up", { deviceId: id });
      alerts.up(id);
    }
    for (const record of outcome.stored) {
      const items = Object.fromEntries(record.data.map((i) => [i.id, i.val]));
      events.publish("device.log", { deviceId: record.deviceId, recordId: record.recordId ?? null, unixTimestamp: record.unixTimestamp, items });
      alerts.evaluate(record.deviceId, items);
    }
  }

  /** What the parsers check records against, at this request's time. */
  const parsing = (): ParseOptions => ({ limits, nowS: Math.floor(now() / 1000) });

  /** Stores validated records and answers when they are committed. */
  async function ingest(records: IngestRecord[], address: string | null, origin: DeviceOrigin = "key"): Promise<IngestOutcome> {
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
      rateLimit("pattoo-open", address);
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

  const asset = (path: string): Handler => () => {
    const file = dashboardAssets[path]!;
    return new Response(file.body, { headers: { "Content-Type": file.type, "Cache-Control": path === "/" ? "no-cache" : "max-age=300" } });
  };

  const routes: Route[] = [
    _route("POST", "/logs", ingestBagtower),
    _route("POST", "/prod/logs", ingestBagtower),
    _route("POST", "/pattoo/api/v1/agent/receive/:agent", ingestPattoo),
    _route("GET", "/pattoo/api/v1/agent/status", () => new Response("The Pattoo Agent API is Operational.\n", { headers: { "Content-Type": "text/plain" } })),
    _route("POST", "/api/v1/series", ingestDatadog),
    _route("POST", "/write", ingestInflux),
    _route("POST", "/api/v2/write", ingestInflux),
    _route("POST", "/", ingestTelemetrics),
    _route("POST", "/v2/collector", ingestTelemetrics),
    _route("GET", "/healthz", () => jsonResponse({ status: "ok", uptimeSeconds: Math.round((now() - startedMs) / 1000), ...store.counts() })),
    _route("GET", "/metrics", async () => new Response(await renderMetrics(store, alerts, counters, wsClients), { headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" } }), true),
    _route("GET", "/api/devices", (request) => jsonResponse(listDevices(api, new URL(request.url).searchParams)), true),
    _route("GET", "/api/devices/:id", (_r, _s, p) => jsonResponse(getDevice(api, p.id!)), true),
    _route("PATCH", "/api/devices/:id", async (request, _s, p) => jsonResponse(patchDevice(api, p.id!, parseJson(await readBody(request, limits)))), true),
    _route("GET", "/api/devices/:id/series", (request, _s, p) => jsonResponse(getSeries(api, p.id!, new URL(request.url).searchParams)), true),
    _route("GET", "/api/alerts", () => jsonResponse({ alerts: alerts.all() }), true),
    _route("GET", "/api/monitoring/resources", (request) => jsonResponse(monitoringResources(api, new URL(request.url).searchParams)), true),
    ...Object.keys(dashboardAssets).map((path) => _route("GET", path, asset(path), true)),
  ];

  let handled = 0;

  async function fetch(request: Request, server: Server<unknown>): Promise<Response | undefined> {
    handled++;
    const url = new URL(request.url);
    let routeName = "unmatched";
    let response: Response;
    try {
      if (url.pathname === "/ws") {
        routeName = "GET /ws";
        checkRead(request, server.requestIP(request)?.address, keys, options.publicRead);
        if (wsClients >= limits.wsClients) throw new LimitError(429, "wsClients", `/ws: ${limits.wsClients} live clients already, the limit (serve --max-ws-clients)`);
        if (server.upgrade(request, { data: undefined })) return undefined;
        throw new HttpError(400, "/ws: expected a WebSocket upgrade");
      }
      const matching = routes.filter((r) => r.pattern.test(url.pathname));
      if (matching.length === 0) throw new HttpError(404, `no route for ${url.pathname}`);
      const route = matching.find((r) => r.method === request.method || (r.method === "GET" && request.method === "HEAD"));
      if (!route) throw new HttpError(405, `${request.method} is not allowed on ${url.pathname} (allowed: ${matching.map((r) => r.method).join(", ")})`, { Allow: matching.map((r) => r.method).join(", ") });
      routeName = route.name;
      if (route.read) checkRead(request, server.requestIP(request)?.address, keys, options.publicRead);
      const match = route.pattern.exec(url.pathname)!;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = _decodePathPart(match[i + 1]!);
      });
      response = await route.handler(request, server, params);
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

  /** Devices silent for twice their period are DOWN (SPEC §9): one UPDATE for all of them, then the events. */
  function checkDown(): void {
    const nowS = now() / 1000;
    for (const device of store.markDown(nowS)) {
      events.publish("device.down", { deviceId: device.id, lastSeen: new Date(device.lastSeen * 1000).toISOString() });
      alerts.down(device.id, Math.round(nowS - device.lastSeen));
    }
  }

  return { fetch, websocket, events, alerts, counters, checkDown, handled: () => handled, attach: (server: Server<unknown>) => events.attach(server) };
}

export type ServeApp = ReturnType<typeof createServeApp>;
