import { join } from "./posix-path.ts";

/** The names of the small documents in state/ (read and written through state.ts). */
export const STATE_FILES = {
  seq: "seq.json",
  cpuSample: "cpu-sample.json",
  cron: "cron.json",
  lastPush: "last-push.json",
  /** One per sink: its counters, the server's hints and the rate limiter's slots. */
  sink: (sink: string) => `sink-${sink}.json`,
  /** The containers' cgroup CPU usage at the previous run, for CPU % over the push window. */
  containersSample: "containers-sample.json",
  /** Every process's CPU ticks at the previous run, for top_processes' CPU over the push window. */
  processesSample: "processes-sample.json",
  /** The last resolved config, keyed by config.json's text and the overrides (config/cache.ts). */
  configCache: "config-cache.json",
} as const;

/** Every file bagtower keeps, derived from one home directory (SPEC §2): the one map of the home. */
export interface HomePaths {
  home: string;
  bin: string;
  config: string;
  machineId: string;
  staticMachineId: string;
  /** The device id generated once when none is configured. */
  deviceId: string;
  state: string;
  pattooAgentId: string;
  flushLock: string;
  spool: string;
  collectors: string;
  log: string;
  /** serve's ingest key and its read and admin tokens. */
  serveKey: string;
  serveReadToken: string;
  serveAdminToken: string;
  /** Where serve tells `serve key` its dashboard is. */
  serveUrl: string;
  /** serve's database unless --db names another. */
  serveDb: string;
  /** A receiver's read token that install.sh keeps for `bagtower update` (install.sh writes it as `download-token`). */
  downloadToken: string;
}

export function homePaths(home: string, configFile?: string): HomePaths {
  const state = join(home, "state");
  return {
    home,
    bin: join(home, "bin", "bagtower"),
    config: configFile ?? join(home, "config.json"),
    machineId: join(home, "machine-id"),
    staticMachineId: join(home, "opt-in-static-machine-id"),
    deviceId: join(home, "device-id"),
    state,
    pattooAgentId: join(state, "pattoo-agent-id"),
    flushLock: join(state, "flush.lock"),
    spool: join(home, "spool"),
    collectors: join(home, "collectors.d"),
    log: join(home, "log", "bagtower.log"),
    serveKey: join(home, "serve-key"),
    serveReadToken: join(home, "serve-read-token"),
    serveAdminToken: join(home, "serve-admin-token"),
    serveUrl: join(home, "serve-url"),
    serveDb: join(home, "serve.db"),
    downloadToken: join(home, "download-token"),
  };
}
