// A fault-injecting HTTP receiver on a raw TCP socket (Bun.listen, port 0), so that it can do what
// a real server cannot be asked to: hang past the client's timeout or reset the connection. It is
// for fault injection only; real receivers (serve, VictoriaMetrics, InfluxDB, Pushgateway) are used
// for the happy paths.
import { gunzipSync, inflateSync } from "node:zlib";
import type { Socket, TCPSocketListener } from "bun";

export type Behaviour =
  | { status: number; body?: string; headers?: Record<string, string> }
  | "hang"
  | "reset"
  /** Pass the request on to a real server (after `delayMs`); `silent` drops its answer on the floor. */
  | { proxy: string; delayMs?: number; silent?: boolean }
  /**
   * A reply whose body is `chunk` × `count` (Content-Length announced), written as fast as the
   * client reads it, or one chunk every `intervalMs` (a drip). Its progress is in `streams`.
   */
  | { status: number; headers?: Record<string, string>; stream: { chunk: string; count: number; intervalMs?: number } };

/** How far a streamed reply got: body bytes written, whether all were, whether the client hung up. */
export interface StreamProgress {
  bytes: number;
  total: number;
  done: boolean;
  closedByClient: boolean;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body, decompressed when the request said Content-Encoding gzip or deflate. */
  body: string;
  /** The body's bytes as they came (a binary or snappy body read as text would be mangled). */
  raw: Buffer;
}

export interface FaultServer {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Behaviours for the next requests, in order; after them `fallback` answers. */
  script(...behaviours: Behaviour[]): void;
  /** Decides from the request itself (e.g. refuse one record); overrides script and fallback. */
  decide(fn: ((request: ReceivedRequest) => Behaviour | undefined) | undefined): void;
  fallback: Behaviour;
  streams: StreamProgress[];
  stop(): void;
}

interface _Conn {
  buffer: Buffer;
  /** Writes more of a streamed reply once the socket drains. */
  pump?: () => void;
  progress?: StreamProgress;
}

function _parse(buffer: Buffer): { request: ReceivedRequest; length: number } | undefined {
  const end = buffer.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = buffer.subarray(0, end).toString("latin1").split("\r\n");
  const [method = "", path = ""] = head[0]!.split(" ");
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const size = Number(headers["content-length"] ?? 0);
  if (buffer.length < end + 4 + size) return undefined;
  const received = Buffer.from(buffer.subarray(end + 4, end + 4 + size));
  let raw = received;
  if (headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
  if (headers["content-encoding"] === "deflate") raw = inflateSync(raw);
  return { request: { method, path, headers, body: raw.toString("utf8"), raw: received }, length: end + 4 + size };
}

function _respond(socket: Socket<_Conn>, behaviour: { status: number; body?: string; headers?: Record<string, string> }): void {
  const body = behaviour.body ?? "";
  const headers = { "Content-Type": "application/json", ...behaviour.headers, "Content-Length": String(Buffer.byteLength(body)), Connection: "close" };
  const head = [`HTTP/1.1 ${behaviour.status} X`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join("\r\n");
  socket.write(`${head}\r\n\r\n${body}`);
  socket.end();
}

function _stream(socket: Socket<_Conn>, behaviour: Extract<Behaviour, { stream: unknown }>, streams: StreamProgress[]): void {
  const { chunk, count, intervalMs } = behaviour.stream;
  const piece = Buffer.from(chunk);
  const progress: StreamProgress = { bytes: 0, total: piece.length * count, done: false, closedByClient: false };
  streams.push(progress);
  const headers = { "Content-Type": "application/json", ...behaviour.headers, "Content-Length": String(progress.total), Connection: "close" };
  socket.write(`${[`HTTP/1.1 ${behaviour.status} X`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join("\r\n")}\r\n\r\n`);
  let pending = Buffer.alloc(0);
  let started = 0;
  socket.data.progress = progress;
  socket.data.pump = () => {
    while (!progress.closedByClient) {
      if (pending.length === 0) {
        if (started === count) {
          progress.done = true;
          socket.end();
          return;
        }
        pending = piece;
        started++;
      }
      const written = socket.write(pending);
      if (written <= 0) return; // the kernel buffer is full: drain() calls again
      progress.bytes += written;
      pending = pending.subarray(written);
      if (pending.length > 0) return;
      if (intervalMs) {
        setTimeout(() => socket.data.pump?.(), intervalMs);
        return;
      }
    }
  };
  socket.data.pump();
}

async function _proxy(socket: Socket<_Conn>, request: ReceivedRequest, behaviour: { proxy: string; delayMs?: number; silent?: boolean }): Promise<void> {
  if (behaviour.delayMs) await Bun.sleep(behaviour.delayMs);
  // A body the parser decompressed goes on as text; any other (snappy, binary) as the bytes it came as, with its encoding.
  const decoded = request.headers["content-encoding"] === "gzip" || request.headers["content-encoding"] === "deflate";
  const drop = ["host", "content-length", "connection", ...(decoded ? ["content-encoding"] : [])];
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => !drop.includes(k)));
  try {
    const response = await fetch(`${behaviour.proxy}${request.path}`, { method: request.method, headers, body: decoded ? request.body : request.raw });
    const body = await response.text();
    if (behaviour.silent) return; // accepted upstream, never answered: the client must resend
    _respond(socket, { status: response.status, body, headers: { "Content-Type": response.headers.get("content-type") ?? "application/json" } });
  } catch {
    socket.terminate();
  }
}

export function ok(reply: Record<string, unknown> = { status: "ok", periodSeconds: 600 }): Behaviour {
  return { status: 200, body: JSON.stringify(reply) };
}

/**
 * The torture trial's mix of network faults in front of `upstream`, from a seeded generator so a
 * run repeats: `decide` goes to FaultServer.decide, `chosen` counts each fault it picked.
 */
export function faultMix(upstream: string, seed = 7): { decide: () => Behaviour; chosen: Record<string, number> } {
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const chosen: Record<string, number> = {};
  const decide = (): Behaviour => {
    const r = random();
    const [name, behaviour]: [string, Behaviour] =
      r < 0.45 ? ["forward", { proxy: upstream }]
      : r < 0.55 ? ["latency", { proxy: upstream, delayMs: 200 + Math.floor(random() * 400) }]
      : r < 0.65 ? ["reset", "reset"]
      : r < 0.75 ? ["5xx", { status: 503, body: '{"error":"overloaded"}' }]
      : r < 0.85 ? ["429", { status: 429, headers: { "Retry-After": "1" }, body: '{"error":"slow down"}' }]
      : r < 0.92 ? ["hang", "hang"]
      : ["accepted, never answered", { proxy: upstream, silent: true }];
    chosen[name] = (chosen[name] ?? 0) + 1;
    return behaviour;
  };
  return { decide, chosen };
}

export function startFaultServer(fallback: Behaviour = ok()): FaultServer {
  const queue: Behaviour[] = [];
  let decider: ((request: ReceivedRequest) => Behaviour | undefined) | undefined;
  const requests: ReceivedRequest[] = [];
  const streams: StreamProgress[] = [];
  const server: FaultServer = {
    url: "",
    port: 0,
    requests,
    streams,
    script: (...behaviours) => queue.push(...behaviours),
    decide: (fn) => {
      decider = fn;
    },
    fallback,
    stop: () => listener.stop(true),
  };
  const listener: TCPSocketListener<_Conn> = Bun.listen<_Conn>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { buffer: Buffer.alloc(0) };
      },
      drain(socket) {
        socket.data.pump?.();
      },
      close(socket) {
        if (socket.data.progress && !socket.data.progress.done) socket.data.progress.closedByClient = true;
      },
      data(socket, chunk) {
        socket.data.buffer = Buffer.concat([socket.data.buffer, chunk]);
        const parsed = _parse(socket.data.buffer);
        if (!parsed) return;
        socket.data.buffer = socket.data.buffer.subarray(parsed.length);
        requests.push(parsed.request);
        const behaviour = decider?.(parsed.request) ?? queue.shift() ?? server.fallback;
        if (behaviour === "hang") return; // never answer; the client's timeout must fire
        if (behaviour === "reset") {
          socket.terminate();
          return;
        }
        if ("proxy" in behaviour) {
          void _proxy(socket, parsed.request, behaviour);
          return;
        }
        if ("stream" in behaviour) {
          _stream(socket, behaviour, streams);
          return;
        }
        _respond(socket, behaviour);
      },
    },
  });
  server.port = listener.port;
  server.url = `http://127.0.0.1:${listener.port}`;
  return server;
}
