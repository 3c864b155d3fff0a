// Exercises test/helpers/backends.ts against the real daemons: each one starts on loopback, takes
// one write, gives it back, and stops. Skipped locally when a package is missing; in CI (CI=true) a
// missing package fails the test, since CI must have installed it (scripts/test-deps.sh).
import { expect, test } from "bun:test";
import {
  promQuery,
  pushgatewayMetrics,
  startInfluxDB,
  startPrometheus,
  startPushgateway,
  startVictoriaMetrics,
  vmExport,
} from "../helpers/backends.ts";
import { waitFor } from "../helpers/wait.ts";
import { type PrereqName, skipWithout } from "../helpers/prereq.ts";

const LINE = "bagtower,host=h cpu=12.5 1795400000";
const TIMEOUT = 60_000;
const missing = (name: PrereqName) => skipWithout(name);

test.skipIf(missing("victoria-metrics"))(
  "VictoriaMetrics takes an Influx line and exports it",
  async () => {
    const vm = await startVictoriaMetrics();
    try {
      expect(vm.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${vm.url}/write?precision=s`, { method: "POST", body: `${LINE}\n` });
      expect(res.status).toBe(204);
      const series = await vmExport(vm, '{__name__="bagtower_cpu"}');
      expect(series).toEqual([{ metric: { __name__: "bagtower_cpu", host: "h" }, values: [12.5], timestamps: [1795400000000] }]);
    } finally {
      await vm.stop();
    }
  },
  TIMEOUT,
);

test.skipIf(missing("influxdb"))(
  "InfluxDB takes an Influx line into a new database and answers a query",
  async () => {
    const influx = await startInfluxDB();
    try {
      await influx.createDatabase("x");
      const res = await fetch(`${influx.url}/write?db=x&precision=s`, { method: "POST", body: `${LINE}\n` });
      expect(res.status).toBe(204);
      const body = await influx.query("x", "SELECT cpu FROM bagtower");
      const series = body.results[0].series[0];
      expect(series.columns).toEqual(["time", "cpu"]);
      expect(series.values).toEqual([["2026-11-23T02:13:20Z", 12.5]]);
    } finally {
      await influx.stop();
    }
  },
  TIMEOUT,
);

test.skipIf(missing("pushgateway"))(
  "Pushgateway takes a group and serves it on /metrics",
  async () => {
    const pg = await startPushgateway();
    try {
      const body = '# TYPE bagtower_cpu_percent gauge\nbagtower_cpu_percent{device="d"} 12.5\n';
      const res = await fetch(`${pg.url}/metrics/job/bagtower/instance/d`, { method: "PUT", body });
      expect(res.status).toBeOneOf([200, 202]);
      const text = await pushgatewayMetrics(pg);
      expect(text).toContain('bagtower_cpu_percent{device="d",instance="d",job="bagtower"} 12.5\n');
    } finally {
      await pg.stop();
    }
  },
  TIMEOUT,
);

test.skipIf(missing("prometheus"))(
  "Prometheus scrapes a target at the given path and answers a query",
  async () => {
    using target = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) =>
        new URL(req.url).pathname === "/custom/metrics"
          ? new Response('# TYPE bagtower_cpu_percent gauge\nbagtower_cpu_percent{device="d"} 12.5\n', { headers: { "content-type": "text/plain; version=0.0.4" } })
          : new Response("not found", { status: 404 }),
    });
    const prom = await startPrometheus(`127.0.0.1:${target.port}`, "/custom/metrics");
    try {
      const result = await waitFor(
        "Prometheus to scrape bagtower_cpu_percent",
        async () => {
          const data = await promQuery(prom, "bagtower_cpu_percent");
          return data.result.length > 0 ? data.result : undefined;
        },
        20_000,
      );
      expect(result[0].metric).toEqual({ __name__: "bagtower_cpu_percent", device: "d", instance: `127.0.0.1:${target.port}`, job: "bagtower" });
      expect(result[0].value[1]).toBe("12.5");
    } finally {
      await prom.stop();
    }
  },
  TIMEOUT,
);

test("waitFor names what it waited for", async () => {
  await expect(waitFor("the moon to turn blue", async () => false, 120)).rejects.toThrow("timed out after 120 ms waiting for the moon to turn blue");
  expect(await waitFor("a value", async () => 0)).toBe(0);
});
