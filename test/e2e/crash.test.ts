// Crash safety (SPEC §6, §12): the compiled `push` is SIGKILLed at random instants (inside the
// spool write, between spool and send, during the send) against a receiver that stalls. Afterwards
// every file in the queue parses, no partial record ever reached the receiver, and one flush
// delivers every record that was ever seen in the spool, once per recordId.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { listSpool, readSpooled } from "../../src/deliver/spool.ts";
import { recordSchema } from "../../src/record/schema.ts";
import { buildBinary, BINARY } from "../helpers/binary.ts";
import { FIXTURES, tempDir } from "../helpers/context.ts";

const KILLS = Number(process.env.BAGTOWER_CRASH_KILLS ?? 40);

let cleanup = () => {};
let home = "";
const received: unknown[] = [];
let invalidBodies = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const body = await request.text();
    // Stall a little so kills also land while a request is in flight.
    await Bun.sleep(Math.random() * 40);
    try {
      const json = JSON.parse(body);
      for (const record of Array.isArray(json) ? json : [json]) received.push(v.parse(recordSchema, record));
    } catch {
      invalidBodies++;
      return new Response("bad", { status: 400 });
    }
    return Response.json({ status: "ok", periodSeconds: 600, batchMax: 20 });
  },
});

beforeAll(async () => {
  await buildBinary();
  const tmp = tempDir("bagtower-crash-");
  home = tmp.dir;
  cleanup = tmp.cleanup;
  mkdirSync(home, { recursive: true });
  writeFileSync(
    join(home, "config.json"),
    JSON.stringify({
      collect: { rootfs: join(FIXTURES, "pi4"), cpuSampleMs: 10 },
      sinks: [{ name: "default", format: "bagtower", url: `http://127.0.0.1:${server.port}`, apiKey: "k" }],
      http: { timeoutMs: 2000, retries: 0, compress: false },
    }),
  );
});
afterAll(() => {
  server.stop(true);
  cleanup();
});

test(`push killed at ${KILLS} random instants loses and duplicates nothing`, async () => {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", BAGTOWER_HOME: home };
  const seenInSpool = new Set<string>();
  // Kill instants span one whole run on this machine: a fixed window would land every kill before
  // the first spool write on a slow or loaded machine, and the test would prove nothing.
  const started = performance.now();
  const calibration = Bun.spawn([BINARY, "push", "--quiet"], { env, stdout: "ignore", stderr: "ignore" });
  expect(await calibration.exited).toBe(0);
  const windowMs = (performance.now() - started) * 1.2;
  for (let i = 0; i < KILLS; i++) {
    const proc = Bun.spawn([BINARY, "push", "--quiet"], { env, stdout: "ignore", stderr: "ignore" });
    await Bun.sleep(Math.random() * windowMs);
    proc.kill("SIGKILL");
    await proc.exited;
    // Every file in the queue is a whole record, whatever instant the kill hit.
    for (const entry of listSpool(join(home, "spool", "default"))) {
      const record = readSpooled(entry);
      seenInSpool.add(record.meta.recordId);
    }
  }
  const flush = Bun.spawn([BINARY, "spool", "flush"], { env, stdout: "ignore", stderr: "pipe" });
  expect(await flush.exited).toBe(0);
  expect(listSpool(join(home, "spool", "default"))).toEqual([]);
  expect(invalidBodies).toBe(0);
  const delivered = new Set(received.map((r) => (r as { meta: { recordId: string } }).meta.recordId));
  for (const id of seenInSpool) expect(delivered.has(id)).toBe(true);
  // Some kills landed while a record was spooled and not yet delivered: the case under test. At
  // least once on the wire; the receiver's recordId makes it exactly once (this receiver keeps
  // duplicates: torture.test.ts › "push killed at random instants against a live serve" counts
  // the rows per recordId in a real serve's database).
  expect(seenInSpool.size).toBeGreaterThan(0);
}, 120_000);

test("ten concurrent pushes and a cron run: one flushes at a time, every record arrives", async () => {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", BAGTOWER_HOME: home };
  received.length = 0;
  // The eleventh runs as the crontab line does (push --cron: timestamped log, period skip).
  const runs = Array.from({ length: 11 }, (_, i) => Bun.spawn([BINARY, "push", "--json", ...(i === 10 ? ["--cron"] : [])], { env, stdout: "pipe", stderr: "ignore" }));
  const outputs = await Promise.all(runs.map(async (p) => ({ code: await p.exited, out: await new Response(p.stdout).text() })));
  for (const { code } of outputs) expect(code).toBe(0);
  const produced = outputs.map(({ out }) => JSON.parse(out).recordId as string);
  // Runs that found the lock busy left their record to the holder or the next run: flush once more.
  const flush = Bun.spawn([BINARY, "spool", "flush"], { env, stdout: "ignore", stderr: "ignore" });
  expect(await flush.exited).toBe(0);
  const delivered = new Set(received.map((r) => (r as { meta: { recordId: string } }).meta.recordId));
  for (const id of produced) expect(delivered.has(id)).toBe(true);
  expect(invalidBodies).toBe(0);
}, 60_000);
