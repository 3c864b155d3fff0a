// Round trip: the compiled binary pushes to a running `bagtower serve`; the device, its items and
// series show up in the API; a replayed record is a duplicate; /ws sees device.log; a device that
// stops is reported DOWN; real Prometheus scrapes /metrics and promtool accepts it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promQuery, startPrometheus } from "../helpers/backends.ts";
import { BINARY, buildBinary } from "../helpers/binary.ts";
import { FIXTURES } from "../helpers/context.ts";
import { SERVE_KEY, startServeBinary } from "../helpers/serve-binary.ts";
import { waitFor } from "../helpers/wait.ts";
import { skipWithout } from "../helpers/prereq.ts";

let serve: Awaited<ReturnType<typeof startServeBinary>>;
let agentHome = "";
const events: { type: string; deviceId?: string }[] = [];
let ws: WebSocket;

beforeAll(async () => {
  await buildBinary();
  serve = await startServeBinary();
  agentHome = join(serve.dir, "agent");
  mkdirSync(agentHome, { recursive: true });
  writeFileSync(
    join(agentHome, "config.json"),
    JSON.stringify({ deviceId: "pi-e2e", collect: { rootfs: join(FIXTURES, "pi4") }, sinks: [{ name: "default", format: "bagtower", url: serve.url, apiKey: SERVE_KEY }] }),
  );
  ws = new WebSocket(`ws://127.0.0.1:${serve.port}/ws`);
  ws.onmessage = (m) => events.push(JSON.parse(String(m.data)));
  await new Promise((resolve) => (ws.onopen = resolve));
}, 60_000);
afterAll(async () => {
  ws?.close();
  await serve?.stop();
});

const agent = (...args: string[]) => {
  const result = Bun.spawnSync([BINARY, ...args], { env: { PATH: process.env.PATH, BAGTOWER_HOME: agentHome }, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
};
const api = async (path: string, init?: RequestInit) => (await fetch(`${serve.url}${path}`, init)).json() as Promise<any>;

test("push from the binary: the device, its items and series appear; /ws sees device.log", async () => {
  const push = agent("push");
  expect(push.stderr).toContain("default: delivered 1; 0 in the spool");
  expect(push.code).toBe(0);
  const { devices } = await api("/api/devices");
  expect(devices.map((d: { id: string }) => d.id)).toEqual(["pi-e2e"]);
  expect(devices[0]).toMatchObject({ status: "UP", hostname: "pi4-greenhouse", latest: { memory: 16.8 } });
  const detail = await api("/api/devices/pi-e2e");
  expect(detail.items.map((i: { id: string }) => i.id)).toContain("cpu_per_cpu");
  const series = await api(`/api/devices/pi-e2e/series?item=cpu_per_cpu&from=0`);
  expect(series.keys).toEqual(["0", "1", "2", "3"]);
  await waitFor("device.log on /ws", async () => events.some((e) => e.type === "device.log" && e.deviceId === "pi-e2e"));
});

test("a replayed record is acknowledged as a duplicate and not stored twice", async () => {
  const record = agent("collect", "--device-id", "pi-replay").stdout;
  const post = () => fetch(`${serve.url}/logs`, { method: "POST", body: record, headers: { "x-api-key": SERVE_KEY, "Content-Type": "application/json" } }).then((r) => r.json() as Promise<any>);
  expect(await post()).toMatchObject({ accepted: 1, duplicates: 0 });
  expect(await post()).toMatchObject({ accepted: 0, duplicates: 1 });
  const series = await api("/api/devices/pi-replay/series?item=memory&from=0");
  expect(series.points[""]).toHaveLength(1);
});

test("the period set in the API reaches the device; a device that stops is reported DOWN", async () => {
  const patched = await api("/api/devices/pi-e2e", { method: "PATCH", body: JSON.stringify({ periodSeconds: 10 }), headers: { authorization: `Bearer ${serve.adminToken}` } });
  expect(patched.device.periodSeconds).toBe(10);
  expect(agent("push").stderr).toContain("the server sets the push period to 10 s");
  // Nothing for 2 × 10 s: the receiver's check (every 5 s) marks it DOWN.
  await waitFor("device.down on /ws", async () => events.some((e) => e.type === "device.down" && e.deviceId === "pi-e2e"), 40_000);
  expect((await api("/api/devices/pi-e2e")).device.status).toBe("DOWN");
}, 60_000);

test("promtool accepts /metrics", async () => {
  const promtool = Bun.which("promtool");
  if (!promtool && !process.env.CI) return;
  const text = await (await fetch(`${serve.url}/metrics`)).text();
  const check = Bun.spawnSync([promtool ?? "promtool", "check", "metrics"], { stdin: Buffer.from(text), stdout: "pipe", stderr: "pipe" });
  expect(check.stderr.toString() + check.stdout.toString()).toBe("");
  expect(check.exitCode).toBe(0);
});

test.skipIf(skipWithout("prometheus"))(
  "real Prometheus scrapes /metrics",
  async () => {
    const prom = await startPrometheus(`127.0.0.1:${serve.port}`, "/metrics");
    try {
      const result = await waitFor(
        "bagtower_device_up in Prometheus",
        async () => {
          const data = await promQuery(prom, 'bagtower_device_up{device="pi-e2e"}');
          return data.result.length > 0 ? data.result : undefined;
        },
        30_000,
      );
      expect(result[0].metric.job).toBeDefined();
      const records = await promQuery(prom, "bagtower_serve_records_total");
      expect(Number(records.result[0].value[1])).toBeGreaterThanOrEqual(3);
    } finally {
      await prom.stop();
    }
  },
  60_000,
);

test("serve --push-self: this machine shows up by its hostname", async () => {
  const own = await startServeBinary(["--push-self", "1s"]);
  try {
    const device = await waitFor(
      "the self-pushed device",
      async () => {
        const { devices } = (await (await fetch(`${own.url}/api/devices`)).json()) as any;
        return devices[0];
      },
      20_000,
    );
    const hostname = (await Bun.file("/proc/sys/kernel/hostname").text()).trim();
    expect(device).toMatchObject({ id: hostname, status: "UP" });
    // Its period is the one it pushes at, not a new device's 10 minutes (the header, DOWN checks).
    await waitFor(
      "the self device's period set to --push-self's 1 s",
      async () => ((await (await fetch(`${own.url}/api/devices`)).json()) as any).devices[0].periodSeconds === 1,
      20_000,
    );
  } finally {
    await own.stop();
  }
}, 30_000);
