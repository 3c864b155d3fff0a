// serve --forward influx=URL into a real VictoriaMetrics: what serve accepts, in any format, is
// readable there with the same values, and survives VictoriaMetrics being down for a while.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeDatadog } from "../../src/formats/datadog.ts";
import { startVictoriaMetrics, vmExport, type Backend } from "../helpers/backends.ts";
import { buildBinary } from "../helpers/binary.ts";
import { FIXTURES } from "../helpers/context.ts";
import { SERVE_KEY, startServeBinary } from "../helpers/serve-binary.ts";
import { waitFor } from "../helpers/wait.ts";
import { skipWithout } from "../helpers/prereq.ts";

const skip = skipWithout("victoria-metrics");
let vm: Backend | undefined;
let serve: Awaited<ReturnType<typeof startServeBinary>> | undefined;
let port = 0;

beforeAll(async () => {
  if (skip) return;
  await buildBinary();
  vm = await startVictoriaMetrics();
  port = Number(new URL(vm.url).port);
  serve = await startServeBinary(["--forward", `influx=${vm.url}`]);
}, 60_000);
afterAll(async () => {
  await serve?.stop();
  await vm?.stop();
});

const nowS = Math.floor(Date.now() / 1000);
const record = (deviceId: string, at: number, cpu: number) => ({ deviceId, unixTimestamp: at, data: [{ id: "cpu", type: "percent", val: cpu }, { id: "cpu_per_cpu", type: "percent", val: [cpu, cpu / 2] }] });
const post = (path: string, body: string, headers: Record<string, string>) => fetch(`${serve!.url}${path}`, { method: "POST", body, headers: { "x-api-key": SERVE_KEY, ...headers } });

test.skipIf(skip)("bagtower, Datadog and Influx input all arrive in VictoriaMetrics with the same values", async () => {
  expect((await post("/logs", JSON.stringify(record("pi-fwd", nowS - 60, 41.5)), {})).status).toBe(200);
  const fixture = JSON.parse(readFileSync(join(FIXTURES, "laptop", "expected.json"), "utf8"));
  const dd = encodeDatadog([{ ...fixture, unixTimestamp: nowS - 50 }], { pattooAgentId: "x", pollingIntervalMs: 1 }).body;
  expect((await post("/api/v1/series", dd, { "DD-API-KEY": SERVE_KEY })).status).toBe(202);
  expect((await post("/write?precision=s", `sensor,host=greenhouse temp=21.5 ${nowS - 40}`, { Authorization: `Token ${SERVE_KEY}` })).status).toBe(204);
  const cpu = await waitFor("pi-fwd's cpu in VictoriaMetrics", async () => (await vmExport(vm!, '{__name__="bagtower_cpu_percent", device="pi-fwd"}'))[0], 15_000);
  expect(cpu.values).toEqual([41.5]);
  expect(cpu.timestamps).toEqual([(nowS - 60) * 1000]);
  expect((await vmExport(vm!, '{__name__="bagtower_cpu_per_cpu_percent", cpu="1", device="pi-fwd"}'))[0]!.values).toEqual([20.75]);
  expect((await vmExport(vm!, '{__name__="bagtower_memory_percent", device="laptop-1"}'))[0]!.values).toEqual([fixture.data.find((i: { id: string }) => i.id === "memory").val]);
  // A foreign item (measurement sensor, field temp) keeps its key in the `key` label.
  expect((await vmExport(vm!, '{__name__="bagtower_sensor", key="temp", device="greenhouse"}'))[0]!.values).toEqual([21.5]);
}, 60_000);

test.skipIf(skip)("VictoriaMetrics down for a while: records wait in serve's store, then arrive", async () => {
  await vm!.stop();
  // While VictoriaMetrics is down its port answers nothing useful: each connection serve makes to
  // it is a forward attempt, closed unanswered, so the test knows one has failed before the restart.
  let attempts = 0;
  const outage = Bun.listen({ hostname: "127.0.0.1", port, socket: { open(socket) { attempts++; socket.end(); }, data() {} } });
  try {
    for (let i = 0; i < 5; i++) expect((await post("/logs", JSON.stringify(record("pi-outage", nowS - 30 + i, 10 + i)), {})).status).toBe(200);
    await waitFor("a failed forward attempt during the outage", async () => attempts > 0, 15_000);
  } finally {
    outage.stop(true);
  }
  vm = await startVictoriaMetrics(port);
  const series = await waitFor(
    "all five outage records in VictoriaMetrics",
    async () => {
      const found = (await vmExport(vm!, '{__name__="bagtower_cpu_percent", device="pi-outage"}').catch(() => []))[0];
      return found && found.values.length === 5 ? found : undefined;
    },
    30_000,
  );
  expect(series.values).toEqual([10, 11, 12, 13, 14]);
}, 60_000);
