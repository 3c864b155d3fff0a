import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY } from "./binary.ts";
import { tempDir } from "./context.ts";

export const SERVE_KEY = "e2e-ingest-key-0123456789";

/** `bagtower serve` as a child process on a free port, with its own home and database. */
export async function startServeBinary(extra: string[] = []) {
  const { dir, cleanup } = tempDir("bagtower-serve-e2e-");
  const proc = Bun.spawn([BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--db", join(dir, "serve.db"), "--api-key", SERVE_KEY, "--home", join(dir, "home"), ...extra], {
    stdout: "ignore",
    stderr: "pipe",
    env: { PATH: process.env.PATH },
  });
  const reader = proc.stderr.getReader();
  let log = "";
  const deadline = Date.now() + 15_000;
  while (!/dashboard: http:\/\/127\.0\.0\.1:(\d+)\//.test(log)) {
    if (Date.now() > deadline) throw new Error(`serve did not start: ${log}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve exited: ${log}`);
    log += new TextDecoder().decode(value);
  }
  const port = Number(/dashboard: http:\/\/127\.0\.0\.1:(\d+)\//.exec(log)![1]);
  // Keep draining stderr so the child never blocks on a full pipe.
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      log += new TextDecoder().decode(value);
    }
  })();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    log: () => log,
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
