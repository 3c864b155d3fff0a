// The compiled `bagtower serve` under bodies built to amplify (issue 10 §4): a 1 MB Datadog or
// Influx body that would make tens of thousands of records is refused while it is parsed, so the
// receiver's peak memory (VmHWM of the real process) barely moves and nothing is stored; an
// over-size chunked body is a 413 with nothing in the log.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary, runBinary } from "../helpers/binary.ts";
import { SERVE_KEY, startServeBinary } from "../helpers/serve-binary.ts";

let serve: Awaited<ReturnType<typeof startServeBinary>>;
beforeAll(async () => {
  await buildBinary();
  serve = await startServeBinary(["--rate-limit", "0"]);
}, 120_000);
afterAll(() => serve?.stop());

/** Peak resident memory of the serve process so far, in MB. */
const peakMb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${serve.proc.pid}/status`, "utf8"))![1]) / 1024;
const healthz = async () => (await (await fetch(`${serve.url}/healthz`)).json()) as { status: string; records: number };

async function amplify(path: string, body: string, headers: Record<string, string>) {
  expect(body.length).toBeGreaterThan(900_000);
  expect(body.length).toBeLessThan(1024 * 1024);
  const before = peakMb();
  const big = fetch(`${serve.url}${path}`, { method: "POST", body, headers });
  // The receiver keeps answering beside it.
  const beside = await healthz();
  const res = await big;
  const error = ((await res.json()) as { error: string }).error;
  console.log(`serve-limits | ${path} | ${body.length} bytes → ${res.status}, peak RSS +${(peakMb() - before).toFixed(1)} MB`);
  return { status: res.status, error, growthMb: peakMb() - before, beside: beside.status, records: (await healthz()).records };
}

// Today's receiver: 68,000 records from one body, its peak memory 200 MB higher. A parse of 1 MB of
// JSON costs some tens of MB whatever is done after; 80 MB leaves room for that and fails today's.
const BOUND_MB = 80;

test("a 1 MB Datadog body of 64,000 host×timestamp points: 413 naming the limit, nothing stored, peak memory bounded", async () => {
  const t = Math.floor(Date.now() / 1000) - 100_000;
  const series = Array.from({ length: 1600 }, (_, h) => ({ metric: "m", host: `h${h}`, points: Array.from({ length: 40 }, (_, i) => [t + i, 1]) }));
  const result = await amplify("/api/v1/series", JSON.stringify({ series }), { "DD-API-KEY": SERVE_KEY, "Content-Type": "application/json" });
  expect(result).toMatchObject({ status: 413, beside: "ok", records: 0 });
  expect(result.error).toContain("over the limit of 500 per request");
  expect(result.growthMb).toBeLessThan(BOUND_MB);
}, 60_000);

test("a 1 MB Influx body of 31,000 lines at distinct timestamps: 413 naming the line, nothing stored, peak memory bounded", async () => {
  const t = Math.floor(Date.now() / 1000) - 100_000;
  const body = Array.from({ length: 31_000 }, (_, i) => `cpu,host=h${i % 7} usage=1 ${t + i}`).join("\n");
  const result = await amplify("/write?precision=s", body, { Authorization: `Token ${SERVE_KEY}` });
  expect(result).toMatchObject({ status: 413, beside: "ok", records: 0 });
  expect(result.error).toStartWith("line 501 ");
  expect(result.growthMb).toBeLessThan(BOUND_MB);
}, 60_000);

test("a 4 MB chunked body (no Content-Length) is a 413, and nothing is logged as an error", async () => {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= 4 * 1024 * 1024) return controller.close();
      sent += 64 * 1024;
      controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
    },
  });
  const res = await fetch(`${serve.url}/logs`, { method: "POST", body, headers: { "x-api-key": SERVE_KEY } });
  expect(res.status).toBe(413);
  expect(((await res.json()) as { error: string }).error).toBe("body of more than 1048576 bytes is over the limit of 1048576 bytes");
  expect((await healthz()).status).toBe("ok");
  expect(serve.log()).not.toMatch(/error|ERROR/);
}, 60_000);

test("the caps come from config.json's serve.limits and the --max-* flags (a flag wins); a bad flag value is a usage error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bagtower-caps-"));
  try {
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ serve: { limits: { devicesPerKey: 2, itemsPerDevice: 50 } } }));
    const capped = await startServeBinary(["--config", config, "--max-items", "1"]);
    try {
      const post = (deviceId: string, items: string[]) =>
        fetch(`${capped.url}/logs`, {
          method: "POST",
          body: JSON.stringify({ deviceId, unixTimestamp: Math.floor(Date.now() / 1000), data: items.map((id) => ({ id, type: "percent", val: 1 })) }),
          headers: { "x-api-key": SERVE_KEY },
        });
      expect((await post("a", ["cpu"])).status).toBe(200);
      expect((await post("b", ["cpu"])).status).toBe(200);
      const third = await post("c", ["cpu"]);
      expect(third.status).toBe(429);
      expect(((await third.json()) as { error: string }).error).toContain("more than 2 devices for the ingest key");
      const items = await post("a", ["cpu", "memory"]);
      expect(items.status).toBe(422);
      expect(((await items.json()) as { error: string }).error).toContain("more than 1 items, the limit per device");
      expect(await (await fetch(`${capped.url}/metrics`)).text()).toContain('bagtower_serve_refused_total{limit="devicesPerKey"} 1');
    } finally {
      await capped.stop();
    }
    const bad = await runBinary(["serve", "--port", "0", "--home", join(dir, "home"), "--max-devices", "lots"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--max-devices lots: expected a whole number ≥ 1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
