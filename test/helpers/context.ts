import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { createContext, type Context, type FsStats } from "../../src/context.ts";
import { createLogger } from "../../src/log.ts";

export const FIXTURES = resolve(import.meta.dir, "../fixtures/proc");

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = "bagtower-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A clock the test moves by hand. */
export function manualClock(startMs: number) {
  let now = startMs;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    set: (ms: number) => {
      now = ms;
    },
  };
}

/** statfs answers from a fixture tree's statfs.json (its mountpoints as seen on the device). */
export function fixtureStatfs(root: string): (path: string, mayHang?: boolean) => Promise<FsStats> {
  const table = JSON.parse(readFileSync(join(root, "statfs.json"), "utf8")) as Record<string, FsStats>;
  return async (path) => {
    const mountpoint = `/${relative(root, path)}`.replace(/\/$/, "") || "/";
    const stats = table[mountpoint];
    if (!stats) throw new Error(`statfs ${mountpoint}: ENOENT`);
    return stats;
  };
}

export interface TestContext {
  ctx: Context;
  home: string;
  out: string[];
  logs: string[];
  cleanup: () => void;
}

/** A Context over a fresh home, capturing stdout and logs, with a fixed environment. */
export function testContext(overrides: Partial<Context> = {}, env: Record<string, string> = {}): TestContext {
  const { dir, cleanup } = tempDir();
  const out: string[] = [];
  const logs: string[] = [];
  const ctx = createContext(
    { home: dir },
    {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      log: createLogger(4, (line) => logs.push(line)),
      // Bytes (a binary format) as latin1, so Buffer.from(out.join(""), "latin1") gives them back exactly.
      write: (text) => out.push(typeof text === "string" ? text : Buffer.from(text).toString("latin1")),
      sleep: async () => {},
      ...overrides,
    },
  );
  return { ctx, home: dir, out, logs, cleanup };
}
