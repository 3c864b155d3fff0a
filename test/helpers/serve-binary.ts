import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY } from "./binary.ts";
import { tempDir } from "./context.ts";
import { drainText, waitFor } from "./wait.ts";

export const SERVE_KEY = "e2e-ingest-key-0123456789";

/**
 * The port of a serve child process, once its start is over: the downloads line, a few lines after
 * the dashboard URL (serve lists its downloads first), is the last one it always prints.
 */
export async function serveStarted(stderr: ReturnType<typeof drainText>, timeoutMs: number): Promise<number> {
  const port = Number((await waitFor("serve to print its dashboard URL", () => stderr.match(/dashboard: http:\/\/127\.0\.0\.1:(\d+)\//), timeoutMs))[1]);
  await waitFor("serve to print its downloads line", () => stderr.match(/^(install a device: |no agent downloads)/m), timeoutMs);
  return port;
}

/** `bagtower serve` as a child process on a free port, with its own home and database. */
export async function startServeBinary(extra: string[] = []) {
  const { dir, cleanup } = tempDir("bagtower-serve-e2e-");
  const proc = Bun.spawn([BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--db", join(dir, "serve.db"), "--api-key", SERVE_KEY, "--home", join(dir, "home"), ...extra], {
    stdout: "ignore",
    stderr: "pipe",
    env: { PATH: process.env.PATH },
  });
  const stderr = drainText(proc.stderr);
  const port = await serveStarted(stderr, 15_000);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    log: stderr.text,
    /** The admin token serve generated in its home (PATCH needs it, even on loopback). */
    adminToken: readFileSync(join(dir, "home", "serve-admin-token"), "utf8").trim(),
    proc,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
      cleanup();
    },
  };
}
