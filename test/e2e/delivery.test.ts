// Issue 10 §1 end to end: the compiled binary pushes to a real `bagtower serve` on port 0. A wrong
// key or URL keeps the record spooled and exits 78; the right key then delivers it; telemetrics and
// pattoo deliver with --api-key; an ad-hoc queue waits for its own server.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, buildBinary } from "../helpers/binary.ts";
import { FIXTURES } from "../helpers/context.ts";
import { SERVE_KEY, startServeBinary } from "../helpers/serve-binary.ts";

let serve: Awaited<ReturnType<typeof startServeBinary>>;
let agentHome = "";

beforeAll(async () => {
  await buildBinary();
  serve = await startServeBinary();
  agentHome = join(serve.dir, "agent");
  mkdirSync(agentHome, { recursive: true });
  writeFileSync(join(agentHome, "config.json"), JSON.stringify({ collect: { rootfs: join(FIXTURES, "pi4") }, http: { timeoutMs: 5000, retries: 0, compress: true } }));
}, 60_000);
afterAll(async () => {
  await serve?.stop();
});

const agent = (...args: string[]) => {
  const result = Bun.spawnSync([BINARY, ...args], { env: { PATH: process.env.PATH, BAGTOWER_HOME: agentHome }, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
};
const stored = async () => (await (await fetch(`${serve.url}/healthz`)).json()) as { devices: number; records: number };
const spooled = () => JSON.parse(agent("spool", "list", "--json").stdout) as { sink: string; server: string }[];

test("a wrong key: exit 78, one line naming the sink, the status and --api-key, the record still spooled; the right key delivers it", async () => {
  const wrong = agent("push", "--server", serve.url, "--api-key", "not-the-key-0123456789", "--device-id", "pi-key");
  expect(wrong.code).toBe(78);
  const errors = wrong.stderr.split("\n").filter((l) => l.startsWith("error: "));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain("HTTP 403: x-api-key: not the ingest key of this receiver");
  expect(errors[0]).toContain("check --api-key");
  expect(errors[0]).toContain(`${serve.url}/logs`);
  expect(spooled()).toEqual([expect.objectContaining({ server: serve.url })]);
  expect(agent("spool", "list", "--rejected", "--json").stdout.trim()).toBe("[]");

  const right = agent("push", "--server", serve.url, "--api-key", SERVE_KEY, "--device-id", "pi-key");
  expect(right.code).toBe(0);
  expect(right.stderr).toMatch(/delivered 2; 0 in the spool/);
  expect(spooled()).toEqual([]);
  expect(await stored()).toMatchObject({ records: 2 });
});

test("a wrong URL path (404): exit 78 naming the URL, nothing rejected", () => {
  const result = agent("push", "--server", `${serve.url}/no/such/path`, "--api-key", SERVE_KEY, "--device-id", "pi-path");
  expect(result.code).toBe(78);
  expect(result.stderr).toContain("HTTP 404");
  expect(result.stderr).toContain("check the URL");
  expect(spooled()).toEqual([expect.objectContaining({ server: `${serve.url}/no/such/path` })]);
  expect(agent("spool", "purge", "--yes").code).toBe(0);
});

test("telemetrics and pattoo with --api-key are delivered to serve", async () => {
  const before = await stored();
  for (const format of ["telemetrics", "pattoo"]) {
    const result = agent("push", "--server", serve.url, "--format", format, "--api-key", SERVE_KEY, "--device-id", `pi-${format}`);
    expect(result.stderr).toMatch(/delivered 1; 0 in the spool/);
    expect(result.code).toBe(0);
  }
  expect(spooled()).toEqual([]);
  expect(agent("spool", "list", "--rejected", "--json").stdout.trim()).toBe("[]");
  expect(await stored()).toMatchObject({ devices: before.devices + 2, records: before.records + 2 });
});

test("an ad-hoc queue waits for its own server: a push to another one never carries it", () => {
  const down = "http://127.0.0.1:9/nowhere"; // the discard port: nothing listens
  expect(agent("push", "--server", down, "--device-id", "pi-adhoc").code).toBe(75);
  const push = agent("push", "--server", serve.url, "--api-key", SERVE_KEY, "--device-id", "pi-adhoc");
  expect(push.code).toBe(0);
  expect(push.stderr).toMatch(/delivered 1; 0 in the spool/);
  expect(spooled()).toEqual([expect.objectContaining({ server: down })]);
  const stats = agent("spool", "stats");
  expect(stats.stdout).toContain(`server     ${down} (bagtower)`);
});
