// Prometheus remote write end to end: the compiled binary pushes (`push --format remote_write`) into a
// real Prometheus with its receiver on and into VictoriaMetrics' /api/v1/write, `serve --forward
// remote_write=URL` forwards into VictoriaMetrics, and every value is read back with its timestamp.
// The batch a crash made the agent send twice is Prometheus' 400 "out of order": nothing is lost
// and nothing loops. The series names come from prometheusSamples(), the one naming there is.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeRemoteWriteBody, encodeWriteRequest, remoteWriteBody, remoteWriteSeries } from "../../src/formats/remote-write.ts";
import { prometheusSamples } from "../../src/formats/prometheus-series.ts";
import type { BagtowerRecord } from "../../src/record/schema.ts";
import { promQuery, startPrometheus, startVictoriaMetrics, vmExport, type Backend } from "../helpers/backends.ts";
import { BINARY, buildBinary } from "../helpers/binary.ts";
import { FIXTURES, tempDir } from "../helpers/context.ts";
import { startFaultServer, type FaultServer } from "../helpers/fault-server.ts";
import { SERVE_KEY, startServeBinary } from "../helpers/serve-binary.ts";
import { waitFor } from "../helpers/wait.ts";
import { skipWithout } from "../helpers/prereq.ts";

const TIMEOUT = 90_000;
const skipProm = skipWithout("prometheus");
const skipVm = skipWithout("victoria-metrics");

const fixture = JSON.parse(readFileSync(join(FIXTURES, "pi4", "expected.json"), "utf8")) as BagtowerRecord;
/** The series name and labels (other than device/host) one item gets, from the encoders' own naming. */
const seriesOf = (item: BagtowerRecord["data"][number]) => {
  const sample = prometheusSamples({ ...fixture, data: [item] })[0]!;
  return { name: sample.name, labels: sample.labels.filter(([k]) => k !== "device" && k !== "host") };
};
const LEVEL = seriesOf({ id: "rw_level", type: "number", val: 1 });
const MEMORY = prometheusSamples(fixture).find((s) => s.name === seriesOf(fixture.data.find((i) => i.id === "memory")!).name)!;

const dirs: { cleanup(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.cleanup();
});

/** An agent home reading the pi4 fixture plus a collectors.d program printing `rw_level` from a file the test writes. */
function agentHome() {
  const dir = tempDir();
  dirs.push(dir);
  const home = dir.dir;
  mkdirSync(join(home, "collectors.d"), { recursive: true, mode: 0o755 });
  const script = join(home, "collectors.d", "level");
  writeFileSync(script, `#!/bin/sh\nexec cat ${JSON.stringify(join(home, "level.json"))}\n`);
  chmodSync(script, 0o755);
  writeFileSync(join(home, "config.json"), JSON.stringify({ collect: { rootfs: join(FIXTURES, "pi4") }, http: { timeoutMs: 3000, retries: 0, compress: true } }));
  let lastSecond = 0;
  // Not spawnSync: the fault server answers from this process's event loop.
  const run = async (...args: string[]) => {
    const proc = Bun.spawn([BINARY, ...args], { env: { PATH: process.env.PATH, BAGTOWER_HOME: home }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).bytes(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout: Buffer.from(stdout), stderr };
  };
  return {
    home,
    run,
    /** One push with rw_level = `level`, its record in a later second than the last one's. */
    async push(level: number, ...args: string[]) {
      // A record's time is the whole second it was made in: no earlier record is later than the second the last push ended in.
      await waitFor("the next second", () => Math.floor(Date.now() / 1000) > lastSecond, 2_000);
      writeFileSync(join(home, "level.json"), JSON.stringify({ rw_level: level }));
      const result = await run("push", "--format", "remote_write", ...args);
      lastSecond = Math.floor(Date.now() / 1000);
      return result;
    },
  };
}

/** The samples of `name{device=…}` over the last hour, from Prometheus' instant query of a range vector. */
async function promSamples(prom: Backend, name: string, device: string): Promise<{ value: number; timestampMs: number }[]> {
  const data = await promQuery(prom, `${name}{device=${JSON.stringify(device)}}[1h]`);
  const values: [number, string][] = data.result[0]?.values ?? [];
  return values.map(([t, v]) => ({ value: Number(v), timestampMs: Math.round(t * 1000) }));
}

/** The rw_level samples of a request the fault server saw. */
function levelIn(fault: FaultServer, index: number) {
  const series = decodeRemoteWriteBody(fault.requests[index]!.raw);
  return series.find((s) => s.labels.some(([k, v]) => k === "__name__" && v === LEVEL.name))!.samples;
}

beforeAll(async () => {
  await buildBinary();
}, 120_000);

test.skipIf(skipProm)(
  "push → real Prometheus: a batch of records lands with its values and timestamps; the batch a crash re-sends is refused as out of order, its new record still lands, none is lost or retried forever",
  async () => {
    // Scraping nothing: only the remote-write receiver matters here.
    const prom = await startPrometheus("127.0.0.1:9");
    const fault = startFaultServer({ proxy: prom.url });
    try {
      const agent = agentHome();
      const server = ["--server", `${fault.url}/api/v1/write`, "--device-id", "rw-prom"];
      // Two pushes meet a 503: the records wait in the spool. The third is stored by Prometheus but
      // its answer never comes (the agent "crashed" after the send, as far as it knows): all three wait.
      fault.script({ status: 503, body: "overloaded" }, { status: 503, body: "overloaded" }, { proxy: prom.url, silent: true });
      for (let level = 1; level <= 3; level++) expect((await agent.push(level, ...server)).code).toBe(75);
      // The third request was one batch of three records, one sample each, in time order.
      const batch = levelIn(fault, 2);
      expect(batch.map((s) => s.value)).toEqual([1, 2, 3]);
      expect([...batch.map((s) => s.timestampMs)].sort((a, b) => a - b)).toEqual(batch.map((s) => s.timestampMs));
      expect(await promSamples(prom, LEVEL.name, "rw-prom")).toEqual(batch);

      // The next push re-sends those three with a fourth: Prometheus refuses the whole request (400,
      // out of order), the agent sends them one by one, the old ones go to rejected/ with the reason.
      const fourth = await agent.push(4, ...server);
      // 65: records were refused for good (as for any sink); the new one was delivered.
      expect(fourth.code).toBe(65);
      expect(fourth.stderr).toMatch(/HTTP 400: out of order sample\); moved to rejected/);
      expect(fourth.stderr).toMatch(/delivered 2, 2 rejected; 0 in the spool/);
      expect(fault.requests[3]!.headers).toMatchObject({ "content-encoding": "snappy", "content-type": "application/x-protobuf", "x-prometheus-remote-write-version": "0.1.0" });
      const all = levelIn(fault, 3);
      expect(all.map((s) => s.value)).toEqual([1, 2, 3, 4]);
      expect(await promSamples(prom, LEVEL.name, "rw-prom")).toEqual(all);
      // The first two: Prometheus holds a later sample of their series. The third is the sample it
      // holds last, to the bit: an exact duplicate, which it takes (204) without storing it twice.
      const rows = JSON.parse((await agent.run("spool", "list", "--rejected", "--json")).stdout.toString()) as { sink: string; file: string; status: number; reason: string }[];
      expect(rows.map((r) => [r.status, r.reason])).toEqual([[400, "HTTP 400: out of order sample"], [400, "HTTP 400: out of order sample"]]);
      // Each sample carries its record's time: the refused records are the first two samples.
      const records = rows.map((r) => JSON.parse(readFileSync(join(agent.home, "spool", r.sink, "rejected", r.file), "utf8")) as BagtowerRecord);
      expect(records.map((r) => r.unixTimestamp * 1000)).toEqual(all.slice(0, 2).map((s) => s.timestampMs));
      expect((await agent.run("spool", "list", "--json")).stdout.toString().trim()).toBe("[]");

      // Nothing is left to re-send: the next push is one request with one record.
      const before = fault.requests.length;
      expect((await agent.push(5, ...server)).code).toBe(0);
      expect(fault.requests.length).toBe(before + 1);
      expect((await promSamples(prom, LEVEL.name, "rw-prom")).map((s) => s.value)).toEqual([1, 2, 3, 4, 5]);
      // A fixture item, under the exposition's name and labels, with the value the fixture reads.
      const memory = await promQuery(prom, `${MEMORY.name}{device="rw-prom"}`);
      expect(Number(memory.result[0].value[1])).toBe(MEMORY.value);
      expect(memory.result[0].metric.host).toBe(fixture.meta.hostname);
    } finally {
      fault.stop();
      await prom.stop();
    }
  },
  TIMEOUT,
);

test.skipIf(skipVm)(
  "push → VictoriaMetrics /api/v1/write, and collect --format remote_write's bytes posted as they are: values and timestamps read back",
  async () => {
    const vm = await startVictoriaMetrics();
    try {
      const agent = agentHome();
      const first = await agent.push(7, "--server", `${vm.url}/api/v1/write`, "--device-id", "rw-vm");
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(/delivered 1/);
      const level = (await vmExport(vm, `${LEVEL.name}{device="rw-vm"}`))[0]!;
      expect(level.values).toEqual([7]);
      expect(level.timestamps[0]! % 1000).toBe(0);
      const memory = (await vmExport(vm, `${MEMORY.name}{device="rw-vm"}`))[0]!;
      expect(memory.values).toEqual([MEMORY.value]);
      expect(memory.timestamps).toEqual(level.timestamps);

      // collect prints the body a sink would send: posted unchanged, it is a valid remote-write request.
      writeFileSync(join(agent.home, "level.json"), JSON.stringify({ rw_level: 8 }));
      const collected = await agent.run("collect", "--format", "remote_write", "--device-id", "rw-collect");
      expect(collected.code).toBe(0);
      const posted = await fetch(`${vm.url}/api/v1/write`, { method: "POST", body: collected.stdout, headers: { "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf" } });
      expect(posted.status).toBe(204);
      expect((await vmExport(vm, `${LEVEL.name}{device="rw-collect"}`))[0]!.values).toEqual([8]);

      // A body past snappy's 64 KiB block (100 records, ~100 KB of protobuf) read by VictoriaMetrics' own decoder.
      const base = { ...fixture, deviceId: "rw-big" };
      const many = Array.from({ length: 100 }, (_, i) => ({ ...base, unixTimestamp: Math.floor(Date.now() / 1000) - 6000 + i * 60 }));
      const body = remoteWriteBody(many);
      expect(encodeWriteRequest(remoteWriteSeries(many)).length).toBeGreaterThan(65_536);
      const big = await fetch(`${vm.url}/api/v1/write`, { method: "POST", body, headers: { "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf" } });
      expect(big.status).toBe(204);
      const bigMemory = (await vmExport(vm, `${MEMORY.name}{device="rw-big"}`))[0]!;
      expect(bigMemory.timestamps).toEqual(many.map((r) => r.unixTimestamp * 1000));
      expect(new Set(bigMemory.values)).toEqual(new Set([MEMORY.value]));
    } finally {
      await vm.stop();
    }
  },
  TIMEOUT,
);

test.skipIf(skipVm)(
  "serve --forward remote_write=…/api/v1/write: what serve accepts arrives in VictoriaMetrics with the same values and timestamps",
  async () => {
    const vm = await startVictoriaMetrics();
    const serve = await startServeBinary(["--forward", `remote_write=${vm.url}/api/v1/write`]);
    try {
      const nowS = Math.floor(Date.now() / 1000);
      for (let i = 0; i < 3; i++) {
        const record = { deviceId: "rw-fwd", unixTimestamp: nowS - 60 + i * 10, data: [{ id: "cpu", type: "percent", val: 40 + i }, { id: "cpu_per_cpu", type: "percent", val: [1 + i, 2 + i] }] };
        const response = await fetch(`${serve.url}/logs`, { method: "POST", body: JSON.stringify(record), headers: { "x-api-key": SERVE_KEY, "Content-Type": "application/json" } });
        expect(response.status).toBe(200);
      }
      const cpuName = seriesOf({ id: "cpu", type: "percent", val: 1 }).name;
      const cpu = await waitFor("rw-fwd's three cpu samples in VictoriaMetrics", async () => {
        const series = await vmExport(vm, `${cpuName}{device="rw-fwd"}`).catch(() => []);
        return series[0]?.values.length === 3 ? series[0] : undefined;
      }, 20_000, 100);
      expect(cpu.values).toEqual([40, 41, 42]);
      expect(cpu.timestamps).toEqual([0, 1, 2].map((i) => (nowS - 60 + i * 10) * 1000));
      const perCpu = seriesOf({ id: "cpu_per_cpu", type: "percent", val: [1, 2] });
      const second = await vmExport(vm, `${perCpu.name}{device="rw-fwd"}`);
      expect(second.length).toBe(2);
      expect(second.map((s) => s.values).sort()).toEqual([[1, 2, 3], [2, 3, 4]]);
    } finally {
      await serve.stop();
      await vm.stop();
    }
  },
  TIMEOUT,
);

test("collect --format remote_write on a terminal: a usage error, nothing binary on the screen", () => {
  const agent = agentHome();
  writeFileSync(join(agent.home, "level.json"), "{}");
  // script(1) gives the binary a real pseudo-terminal as stdout.
  const command = `BAGTOWER_HOME=${JSON.stringify(agent.home)} ${JSON.stringify(BINARY)} collect --format remote_write`;
  const result = Bun.spawnSync(["script", "-qec", command, "/dev/null"], { env: { PATH: process.env.PATH }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  expect(result.exitCode).toBe(2);
  expect(result.stdout.toString()).toMatch(/--format remote_write is binary \(snappy protobuf\): redirect stdout/);
  // The series names travel as literals in the body: none reached the terminal.
  expect(result.stdout.toString()).not.toContain("bagtower_");
});

test("collect --format remote_write --watch is a usage error", async () => {
  const agent = agentHome();
  const result = await agent.run("collect", "--format", "remote_write", "--watch", "10s");
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/cannot be used with --watch/);
  expect(result.stdout.length).toBe(0);
});
