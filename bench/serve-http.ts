// The load generator of bench/serve.ts: a minimal HTTP/1.1 keep-alive client on raw sockets
// (Bun.connect: no fetch thread, no pool of its own, one request in flight per connection) and two
// bounded load loops: closed-loop (each connection sends again as soon as it has its answer) and
// open-loop (requests scheduled at a fixed rate; latency counted from the scheduled instant, so a
// stalled server is not hidden by the client waiting for it).

export interface Reply {
  status: number;
  body: string;
}

interface _Waiter {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

const _HEAD_END = Buffer.from("\r\n\r\n");

/** One keep-alive connection; `request` must not be called again before the previous reply. */
export class HttpConn {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: _Waiter | undefined;
  private pending: Buffer | undefined;
  private closed = false;
  private socket!: Awaited<ReturnType<typeof Bun.connect>>;

  static async open(port: number, host = "127.0.0.1"): Promise<HttpConn> {
    const conn = new HttpConn();
    conn.socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data: (_s, chunk) => conn.onData(chunk),
        drain: () => conn.flush(),
        close: () => conn.fail(new Error("connection closed by the server")),
        error: (_s, error) => conn.fail(error),
      },
    });
    conn.socket.setNoDelay?.(true);
    return conn;
  }

  request(bytes: Buffer): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error("connection is closed"));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pending = bytes;
      this.flush();
    });
  }

  close(): void {
    this.closed = true;
    this.socket.end();
  }

  private flush(): void {
    while (this.pending && this.pending.length > 0) {
      const written = this.socket.write(this.pending);
      if (written <= 0) return; // wait for drain
      this.pending = written >= this.pending.length ? undefined : this.pending.subarray(written);
    }
    this.pending = undefined;
  }

  private fail(error: Error): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(error);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const parsed = _parse(this.buf);
    if (!parsed) return;
    this.buf = this.buf.subarray(parsed.consumed);
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(parsed.reply);
  }
}

function _parse(buf: Buffer): { reply: Reply; consumed: number } | undefined {
  const end = buf.indexOf(_HEAD_END);
  if (end < 0) return undefined;
  const head = buf.toString("latin1", 0, end);
  const status = Number(head.slice(9, 12));
  const start = end + 4;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) {
    const n = Number(length[1]);
    if (buf.length < start + n) return undefined;
    return { reply: { status, body: buf.toString("utf8", start, start + n) }, consumed: start + n };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    let at = start;
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", at);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(buf.toString("latin1", at, lineEnd), 16);
      if (buf.length < lineEnd + 2 + size + 2) return undefined;
      if (size === 0) return { reply: { status, body: Buffer.concat(parts).toString("utf8") }, consumed: lineEnd + 4 };
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  // 204/304 and the like carry no body.
  return { reply: { status, body: "" }, consumed: start };
}

/** A request with a body, ready to write (headers + body in one buffer). */
export function httpPost(port: number, path: string, body: string, headers: Record<string, string>): Buffer {
  const payload = Buffer.from(body);
  const lines = [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${payload.length}`, "", ""];
  return Buffer.concat([Buffer.from(lines.join("\r\n")), payload]);
}

export function httpGet(port: number, path: string): Buffer {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
}

export interface LoadResult {
  /** Requests answered, by HTTP status ("error" for a broken connection). */
  statuses: Record<string, number>;
  /** The first body seen for each non-2xx status. */
  samples: Record<string, string>;
  ok: number;
  /** Units (records) carried by the 2xx answers. */
  okUnits: number;
  /** Latencies in ms of the 2xx answers. */
  latencies: number[];
  elapsedMs: number;
  /** ms after the start of the first non-2xx answer, if any. */
  firstRefusalMs?: number;
  /** 2xx answers, and the ms of the last of them, before the first non-2xx answer. */
  okBeforeRefusal: number;
  lastOkBeforeRefusalMs: number;
  /** The loop's own stop: "duration", "requests" or "errors". */
  stoppedBy: string;
}

export interface LoadSpec {
  port: number;
  conns: number;
  durationMs: number;
  maxRequests: number;
  /** The i-th request (0-based) and the records it carries. */
  make: (i: number) => { bytes: Buffer; units: number };
  /** Checks a 2xx answer; a string return counts the answer as an error of that kind. */
  check?: (reply: Reply) => string | undefined;
}

function _result(): LoadResult {
  return { statuses: {}, samples: {}, ok: 0, okUnits: 0, latencies: [], elapsedMs: 0, okBeforeRefusal: 0, lastOkBeforeRefusalMs: 0, stoppedBy: "duration" };
}

function _account(r: LoadResult, started: number, reply: Reply | Error, units: number, latency: number, check?: LoadSpec["check"]): void {
  const at = performance.now() - started;
  let kind = reply instanceof Error ? "error" : String(reply.status);
  if (!(reply instanceof Error) && reply.status < 300 && check) {
    const problem = check(reply);
    if (problem) kind = `bad 2xx: ${problem}`;
  }
  r.statuses[kind] = (r.statuses[kind] ?? 0) + 1;
  if (kind.length === 3 && kind < "300") {
    r.ok++;
    r.okUnits += units;
    r.latencies.push(latency);
    if (r.firstRefusalMs === undefined) {
      r.okBeforeRefusal++;
      r.lastOkBeforeRefusalMs = at;
    }
  } else {
    r.samples[kind] ??= reply instanceof Error ? reply.message : reply.body.slice(0, 300);
    r.firstRefusalMs ??= at;
  }
}

/** Closed loop: `conns` connections each send their next request as soon as the previous answered. */
export async function closedLoop(spec: LoadSpec): Promise<LoadResult> {
  const conns = await Promise.all(Array.from({ length: spec.conns }, () => HttpConn.open(spec.port)));
  const r = _result();
  let next = 0;
  const started = performance.now();
  const deadline = started + spec.durationMs;
  let errors = 0;
  await Promise.all(
    conns.map(async (conn) => {
      for (;;) {
        if (performance.now() >= deadline) return;
        if (next >= spec.maxRequests) return void (r.stoppedBy = "requests");
        if (errors > 100) return void (r.stoppedBy = "errors");
        const { bytes, units } = spec.make(next++);
        const sent = performance.now();
        try {
          const reply = await conn.request(bytes);
          _account(r, started, reply, units, performance.now() - sent, spec.check);
        } catch (error) {
          errors++;
          _account(r, started, error as Error, units, 0);
          return; // the connection is gone
        }
      }
    }),
  );
  r.elapsedMs = performance.now() - started;
  for (const c of conns) c.close();
  return r;
}

/**
 * Open loop at `rate` requests/s for `durationMs`: request k is due at start + k/rate; a free
 * connection takes the oldest due request. Latency = answer − due time (queueing included).
 * `spin` polls the schedule on every event-loop turn (only when the client has a core of its own).
 */
export interface OpenLoopResult extends LoadResult {
  sent: number;
  lateStarts: number;
  /** For each entry of `latencies`, its request's due instant in ms after the loop's start. */
  dueMs: number[];
}

/** The part of an open loop whose requests were due in [fromMs, toMs) after its start: latencies and counts. */
export function dueWindow<T extends OpenLoopResult>(r: T, fromMs: number, toMs = Number.POSITIVE_INFINITY): T {
  const keep = r.dueMs.map((due, i) => (due >= fromMs && due < toMs ? i : -1)).filter((i) => i >= 0);
  return { ...r, latencies: keep.map((i) => r.latencies[i]!), dueMs: keep.map((i) => r.dueMs[i]!), ok: keep.length };
}

export async function openLoop(spec: LoadSpec & { rate: number; drainMs?: number; spin?: boolean }): Promise<OpenLoopResult> {
  const conns = await Promise.all(Array.from({ length: spec.conns }, () => HttpConn.open(spec.port)));
  const idle = [...conns];
  const r = _result();
  const total = Math.min(spec.maxRequests, Math.floor((spec.rate * spec.durationMs) / 1000));
  const interval = 1000 / spec.rate;
  const started = performance.now();
  let issued = 0;
  let done = 0;
  let lateStarts = 0; // requests sent more than 1 ms after their instant (timer tick or no free connection)
  const queue: number[] = [];
  const dueMs: number[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const dispatch = () => {
    while (queue.length > 0 && idle.length > 0) {
      const k = queue.shift()!;
      const conn = idle.pop()!;
      const due = started + k * interval;
      if (performance.now() - due > 1) lateStarts++;
      const { bytes, units } = spec.make(k);
      conn.request(bytes).then(
        (reply) => {
          const answered = r.latencies.length;
          _account(r, started, reply, units, performance.now() - due, spec.check);
          if (r.latencies.length > answered) dueMs.push(due - started);
          idle.push(conn);
          if (++done === total) finish();
          dispatch();
        },
        (error: Error) => {
          _account(r, started, error, units, 0);
          if (++done === total) finish();
        },
      );
    }
  };
  const tick = () => {
    const due = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
    while (issued < due) queue.push(issued++);
    dispatch();
    // Timers tick every ~1 ms, which would add up to 1 ms to every latency; with a core of its own
    // the client spins on setImmediate instead (it still handles I/O between two turns).
    if (issued < total) {
      if (spec.spin) setImmediate(tick);
      else setTimeout(tick, 1);
    }
  };
  tick();
  const drainMs = spec.drainMs ?? 15_000;
  const timedOut = await Promise.race([finished.then(() => false), Bun.sleep(spec.durationMs + drainMs).then(() => true)]);
  if (timedOut) r.stoppedBy = `timeout (${total - done} unanswered)`;
  r.elapsedMs = performance.now() - started;
  for (const c of conns) c.close();
  return { ...r, sent: issued, lateStarts, dueMs };
}
