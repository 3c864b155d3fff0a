// Starts real VictoriaMetrics, InfluxDB, Pushgateway and Prometheus (Debian's packages) on loopback
// for integration tests, and stops them. Installs nothing: scripts/test-deps.sh installs the packages (see
// shared/BACKENDS.md). Each process gets free 127.0.0.1 ports, a fresh temp dir for its data and
// its log, and a clean environment (INFLUXDB_* and the like in the caller's env would override the
// generated config).
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitFor } from "./wait.ts";

export interface Backend {
  name: string;
  /** Base HTTP URL, like http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  stop(): Promise<void>;
}

type BackendName = "victoria-metrics" | "influxdb" | "pushgateway" | "prometheus";

// Debian's names first; the upstream tarball calls the Pushgateway binary `pushgateway`.
const _BINARIES: Record<BackendName, string[]> = {
  "victoria-metrics": ["victoria-metrics"],
  influxdb: ["influxd"],
  pushgateway: ["prometheus-pushgateway", "pushgateway"],
  prometheus: ["prometheus"],
};

const _PACKAGES: Record<BackendName, string> = {
  "victoria-metrics": "victoria-metrics",
  influxdb: "influxdb",
  pushgateway: "prometheus-pushgateway",
  prometheus: "prometheus",
};

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 20;

function _findBinary(name: BackendName): string | undefined {
  for (const bin of _BINARIES[name]) {
    const found = Bun.which(bin) ?? (existsSync(`/usr/bin/${bin}`) ? `/usr/bin/${bin}` : null);
    if (found) return found;
  }
  return undefined;
}

/** Whether the backend's binary is on PATH or in /usr/bin. */
export function backendAvailable(name: BackendName): boolean {
  return _findBinary(name) !== undefined;
}

/** A free TCP port on 127.0.0.1 (bound with port 0, read, released). */
export function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return Promise.resolve(port);
}

// --- processes -------------------------------------------------------------------------------

interface _Running {
  proc: Subprocess;
  dir: string;
}

// Everything started and not yet stopped, for the exit hook.
const _running = new Set<_Running>();
let _hooked = false;

function _killAll(): void {
  for (const r of _running) {
    try {
      r.proc.kill("SIGKILL");
    } catch {}
    rmSync(r.dir, { recursive: true, force: true });
  }
  _running.clear();
}

function _hookExit(): void {
  if (_hooked) return;
  _hooked = true;
  // A test that throws before stop(), or a runner that exits early, must not leave daemons behind.
  // 'exit' handlers must be synchronous: SIGKILL and rmSync are. 'exit' does not run when the test
  // process itself is killed by a signal (the daemons would be orphaned to init), so the usual
  // termination signals clean up too and then exit with the conventional 128 + signal number.
  process.on("exit", _killAll);
  for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]] as const) {
    process.once(signal, () => {
      _killAll();
      process.exit(128 + number);
    });
  }
}

function _logTail(logFile: string): string {
  let text = "";
  try {
    text = readFileSync(logFile, "utf8");
  } catch {
    return "(no log)";
  }
  const lines = text.trimEnd().split("\n");
  return lines.slice(-LOG_TAIL_LINES).join("\n") || "(empty log)";
}

async function _probeStatus(url: string, ok: (res: Response, body: string) => boolean): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return ok(res, await res.text());
  } catch {
    return false; // not listening yet
  }
}

interface _StartSpec {
  name: BackendName;
  /** Arguments after the binary; gets the temp dir. */
  args: (dir: string) => string[];
  /** Writes config files into the temp dir before the start. */
  prepare?: (dir: string) => void;
  port: number;
  /** Path and predicate for readiness. */
  readyPath: string;
  ready: (res: Response, body: string) => boolean;
}

async function _start(spec: _StartSpec): Promise<Backend> {
  const bin = _findBinary(spec.name);
  if (!bin) throw new Error(`${spec.name} is not installed: apt-get install ${_PACKAGES[spec.name]}`);
  _hookExit();
  const dir = mkdtempSync(join(tmpdir(), `bagtower-${spec.name}-`));
  const logFile = join(dir, "output.log");
  const url = `http://127.0.0.1:${spec.port}`;
  let running: _Running | undefined;

  const fail = async (why: string, cause?: unknown): Promise<never> => {
    const tail = _logTail(logFile);
    if (running) await _stop(running);
    else rmSync(dir, { recursive: true, force: true });
    throw new Error(`${spec.name} ${why}; last ${LOG_TAIL_LINES} lines of its log:\n${tail}`, { cause });
  };

  spec.prepare?.(dir);
  const args = spec.args(dir);
  const fd = openSync(logFile, "a");
  try {
    const proc = Bun.spawn([bin, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C" },
      stdin: "ignore",
      stdout: fd,
      stderr: fd,
    });
    // A backend left running must not keep the test process alive: the exit hook kills it.
    proc.unref();
    running = { proc, dir };
    _running.add(running);
  } catch (error) {
    closeSync(fd);
    return fail(`failed to start (${bin} ${args.join(" ")})`, error);
  }
  closeSync(fd); // the child has its own copy

  const proc = running.proc;
  try {
    await waitFor(
      `${spec.name} to answer ${spec.readyPath} on ${url}`,
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(`exited early (${proc.exitCode ?? proc.signalCode})`);
        }
        return _probeStatus(url + spec.readyPath, spec.ready);
      },
      READY_TIMEOUT_MS,
      50,
    );
  } catch (error) {
    return fail(`did not become ready: ${(error as Error).message}`, error);
  }

  const r = running;
  let stopping: Promise<void> | undefined;
  return {
    name: spec.name,
    url,
    stop: () => (stopping ??= _stop(r)),
  };
}

async function _stop(r: _Running): Promise<void> {
  const { proc, dir } = r;
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.ref(); // keep the event loop alive until it has gone
    proc.kill("SIGTERM");
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(STOP_GRACE_MS).then(() => false)]);
    if (!exited) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  }
  _running.delete(r);
  rmSync(dir, { recursive: true, force: true });
}

// --- the backends ----------------------------------------------------------------------------

/**
 * VictoriaMetrics with no query latency offset and a 100-year retention (old test timestamps stay).
 * `port` restarts one where a client expects it (an outage test); the data starts empty each time.
 */
export async function startVictoriaMetrics(port?: number): Promise<Backend> {
  port ??= await freePort();
  return _start({
    name: "victoria-metrics",
    port,
    args: (dir) => [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${join(dir, "data")}`,
      "-search.latencyOffset=0s",
      "-retentionPeriod=100y",
    ],
    readyPath: "/health",
    ready: (res, body) => res.status === 200 && body.trim() === "OK",
  });
}

function _influxConfig(dir: string, httpPort: number, rpcPort: number): string {
  // influxd has no CLI flags for dirs or ports and defaults to /var/lib and all interfaces: every
  // listener that `influxd config` shows is pinned to loopback or disabled here.
  const q = JSON.stringify;
  return `reporting-enabled = false
bind-address = ${q(`127.0.0.1:${rpcPort}`)}

[meta]
  dir = ${q(join(dir, "meta"))}

[data]
  dir = ${q(join(dir, "data"))}
  wal-dir = ${q(join(dir, "wal"))}
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = ${q(`127.0.0.1:${httpPort}`)}
  log-enabled = false
  unix-socket-enabled = false
  bind-socket = ${q(join(dir, "influxdb.sock"))}

[ifql]
  enabled = false
  bind-address = "127.0.0.1:0"

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[logging]
  suppress-logo = true
`;
}

/** InfluxDB 1.x from a generated config; `createDatabase` and `query` speak its /query API. */
export async function startInfluxDB(): Promise<Backend & { createDatabase(db: string): Promise<void>; query(db: string, q: string): Promise<any> }> {
  const port = await freePort();
  const rpcPort = await freePort();
  const backend = await _start({
    name: "influxdb",
    port,
    prepare: (dir) => writeFileSync(join(dir, "influxdb.conf"), _influxConfig(dir, port, rpcPort)),
    args: (dir) => ["run", "-config", join(dir, "influxdb.conf")],
    readyPath: "/ping",
    ready: (res) => res.status === 204,
  });
  const query = async (db: string, q: string): Promise<any> => {
    const res = await fetch(`${backend.url}/query`, { method: "POST", body: new URLSearchParams({ db, q }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`InfluxDB ${q}: HTTP ${res.status}: ${text}`);
    const body = JSON.parse(text);
    const failed = (body.results ?? []).find((r: { error?: string }) => r.error);
    if (failed) throw new Error(`InfluxDB ${q}: ${failed.error}`);
    return body;
  };
  return {
    ...backend,
    query,
    createDatabase: async (db) => {
      await query(db, `CREATE DATABASE "${db.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`);
    },
  };
}

/** Pushgateway with its persistence file in the temp dir (Debian's default is under /var/lib). */
export async function startPushgateway(): Promise<Backend> {
  const port = await freePort();
  return _start({
    name: "pushgateway",
    port,
    args: (dir) => [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dir, "pushgateway.data")}`],
    readyPath: "/-/ready",
    ready: (res) => res.status === 200,
  });
}

/**
 * Prometheus scraping `scrapeTarget` (host:port) every second at `metricsPath`. The remote-write
 * receiver is on too, so a remote-write sink can be checked against the same server.
 */
export async function startPrometheus(scrapeTarget: string, metricsPath = "/metrics"): Promise<Backend> {
  const port = await freePort();
  const q = JSON.stringify; // a JSON string is a valid YAML scalar
  return _start({
    name: "prometheus",
    port,
    prepare: (dir) =>
      writeFileSync(
        join(dir, "prometheus.yml"),
        `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: bagtower
    metrics_path: ${q(metricsPath)}
    static_configs:
      - targets: [${q(scrapeTarget)}]
`,
      ),
    args: (dir) => [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-remote-write-receiver",
    ],
    readyPath: "/-/ready",
    ready: (res) => res.status === 200,
  });
}

// --- read-back -------------------------------------------------------------------------------

const _EXPORT_END_S = 4_102_444_800; // 2100-01-01

interface _ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/**
 * Series matching `match` (a series selector) from VictoriaMetrics' /api/v1/export. A 204 on write
 * does not make data searchable at once: flush, then poll for up to ~5 s until something is there.
 * Throws when nothing matched by then.
 */
export async function vmExport(vm: Backend, match: string): Promise<Array<{ metric: Record<string, string>; values: number[]; timestamps: number[] }>> {
  return waitFor(`VictoriaMetrics to export ${match}`, async () => {
    const flush = await fetch(`${vm.url}/internal/force_flush`);
    await flush.arrayBuffer();
    // The export's default end is "now": a test timestamp a day ahead (VictoriaMetrics accepts up to
    // two) would be missing, so ask for the whole range explicitly.
    const params = new URLSearchParams({ "match[]": match, start: "0", end: String(_EXPORT_END_S) });
    const res = await fetch(`${vm.url}/api/v1/export`, { method: "POST", body: params });
    const text = await res.text();
    if (!res.ok) throw new Error(`VictoriaMetrics export ${match}: HTTP ${res.status}: ${text}`);
    const series = text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as _ExportedSeries);
    return series.length > 0 ? series : undefined;
  }, 5_000, 50);
}

/** The Pushgateway's /metrics text (every pushed group plus its own metrics). */
export async function pushgatewayMetrics(pg: Backend): Promise<string> {
  const res = await fetch(`${pg.url}/metrics`);
  const text = await res.text();
  if (!res.ok) throw new Error(`Pushgateway /metrics: HTTP ${res.status}: ${text}`);
  return text;
}

/** The `data` of a Prometheus instant query ({ resultType, result }); throws on an error status. */
export async function promQuery(prom: Backend, query: string): Promise<any> {
  const res = await fetch(`${prom.url}/api/v1/query?${new URLSearchParams({ query })}`);
  const text = await res.text();
  let body: { status?: string; data?: unknown; error?: string };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Prometheus query ${query}: HTTP ${res.status}: ${text}`);
  }
  if (!res.ok || body.status !== "success") throw new Error(`Prometheus query ${query}: HTTP ${res.status}: ${body.error ?? text}`);
  return body.data;
}
