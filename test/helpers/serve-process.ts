// `serve` in a process of its own, for the tests that SIGKILL it in the middle of its work:
// startServe, as `bagtower serve` runs it, on a given database, with its background jobs' periods
// shortened (the binary has no flag for them). Prints `listening: URL` on stderr once it listens.
// Usage: bun test/helpers/serve-process.ts DB_PATH [PERIODS_JSON, e.g. {"seal":20}]
import { dirname, join } from "node:path";
import { createContext } from "../../src/context.ts";
import { DEFAULT_LIMITS } from "../../src/serve/limits.ts";
import { startServe } from "../../src/serve/server.ts";
import { DEFAULT_RETENTION } from "../../src/serve/tsdb/tiers.ts";
import { ADMIN_TOKEN, INGEST_KEY, READ_TOKEN } from "./serve.ts";

const [dbPath, periods = "{}"] = process.argv.slice(2);
if (!dbPath) {
  console.error("usage: bun test/helpers/serve-process.ts DB_PATH [PERIODS_JSON]");
  process.exit(2);
}
const ctx = createContext({ home: join(dirname(dbPath), "home") }, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, write: () => {} });
const running = startServe(ctx, {
  host: "127.0.0.1",
  port: 0,
  dbPath,
  keys: { ingest: INGEST_KEY, read: READ_TOKEN, admin: ADMIN_TOKEN, source: "flag" },
  limits: DEFAULT_LIMITS,
  rules: {},
  retention: DEFAULT_RETENTION,
  periods: JSON.parse(periods) as Record<string, number>,
});
console.error(`listening: ${running.url}`);
const stop = () => void running.stop().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
