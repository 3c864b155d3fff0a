import { statfs as _statfs, statfsSync, type StatsFs } from "node:fs";
import { join, resolve } from "./posix-path.ts";
import { createLogger, logLevel, type Logger } from "./log.ts";
import { stdoutIsTerminal, writeStdout } from "./output.ts";
import { homePaths, type HomePaths } from "./paths.ts";

/** What statfs(2) tells about a mounted filesystem, in the units collect needs. */
export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

/**
 * The host as the rest of the program sees it. This is the one place that reads the environment,
 * the home directory, the clock, randomness and the network; tests build one over a temp dir.
 */
export interface Context {
  paths: HomePaths;
  /** The user named a config file (--config, BAGTOWER_CONFIG): then it must exist. */
  configGiven: boolean;
  /** BAGTOWER_* and the few other variables bagtower honours, as read at start. */
  env: Readonly<Record<string, string | undefined>>;
  log: Logger;
  /** Where data goes: stdout, never mixed with logs. Bytes only for a binary format. */
  write: (data: string | Uint8Array) => void;
  /** Whether stdout is a terminal, where binary output would only garble the screen. */
  stdoutIsTerminal: () => boolean;
  verbose: boolean;
  now: () => number;
  randomBytes: (size: number) => Uint8Array;
  sleep: (ms: number) => Promise<void>;
  fetch: typeof fetch;
  /**
   * statfs(2). `mayHang` (network filesystems) runs it off the main thread so a caller can time it
   * out; local filesystems answer at once and are asked synchronously (no thread-pool start-up).
   */
  statfs: (path: string, mayHang: boolean) => Promise<FsStats>;
  /** `uname -m` of the machine running bagtower, for when the root has no /proc/sys/kernel/arch. */
  machineArch: string;
}

export interface GlobalFlags {
  home?: string;
  config?: string;
  verbose?: boolean;
  quiet?: boolean;
}

export function defaultHome(env: Readonly<Record<string, string | undefined>>): string {
  // node:os only when HOME is unset (its passwd lookup): loading it costs every run ~0.8 ms.
  return env.BAGTOWER_HOME || join(env.HOME || (require("node:os") as typeof import("node:os")).homedir(), ".bagtower");
}

/**
 * `uname -m` from the process's own architecture: Bun builds only 64-bit runtimes, and a 64-bit
 * process runs on a kernel of that machine type, so no node:os (or uname(2)) is needed for it.
 */
export function unameMachine(arch: string): string {
  return ({ x64: "x86_64", arm64: "aarch64" } as Record<string, string>)[arch] ?? arch;
}

/** statfs(2) on the thread pool; node:fs's callback form, so node:fs/promises (~1 ms) is not loaded. */
function _statfsOffThread(path: string): Promise<StatsFs> {
  return new Promise((resolve, reject) => _statfs(path, (error, stats) => (error ? reject(error) : resolve(stats))));
}

export function createContext(flags: GlobalFlags, overrides: Partial<Context> = {}): Context {
  const env = overrides.env ?? process.env;
  const home = resolve(flags.home || defaultHome(env));
  const config = flags.config ?? env.BAGTOWER_CONFIG;
  return {
    paths: homePaths(home, config ? resolve(config) : undefined),
    configGiven: Boolean(config),
    env,
    log: overrides.log ?? createLogger(logLevel(flags)),
    write: writeStdout,
    stdoutIsTerminal,
    verbose: Boolean(flags.verbose),
    now: Date.now,
    randomBytes: (size) => crypto.getRandomValues(new Uint8Array(size)),
    sleep: (ms) => Bun.sleep(ms),
    fetch: globalThis.fetch,
    statfs: async (path, mayHang) => {
      const stats = mayHang ? await _statfsOffThread(path) : statfsSync(path);
      return { bsize: stats.bsize, blocks: stats.blocks, bfree: stats.bfree, bavail: stats.bavail };
    },
    machineArch: unameMachine(process.arch),
    ...overrides,
  };
}
