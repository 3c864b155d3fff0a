// The new items over whole fixture trees (their READMEs say where each value comes from): a table
// of device → expected values, and the push-window items read twice with their state in between.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { runCollect } from "../../src/collect/run.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { STATE_FILES } from "../../src/paths.ts";
import type { BagtowerRecord } from "../../src/record/schema.ts";
import { writeState } from "../../src/state.ts";
import { FIXTURES, manualClock, tempDir, testContext, type TestContext } from "../helpers/context.ts";

const NEW_ITEMS = ["power", "gpu", "storage_health", "disk_io", "containers", "top_processes", "network_interfaces"];
const OFF = { under_voltage: 0, under_voltage_since_boot: 0, freq_capped: 0, freq_capped_since_boot: 0, throttled: 0, throttled_since_boot: 0, soft_temp_limit: 0, soft_temp_limit_since_boot: 0 };
const DOCKER = { web: "a1".repeat(32), worker: "b2".repeat(32), db: "c3".repeat(32), rootless: "d4".repeat(32), pod: "e5".repeat(32) };

let t: TestContext;
afterEach(() => t.cleanup());

const NOW = 1_800_000_000_000;

async function collect(tree: string): Promise<BagtowerRecord> {
  const config = resolveConfig({ collect: { rootfs: join(FIXTURES, tree) }, items: { only: NEW_ITEMS } }, "test", []);
  return runCollect(t.ctx, config);
}

const values = (r: BagtowerRecord) => Object.fromEntries(r.data.map((i) => [i.id, i.val]));

describe("new items over fixture trees", () => {
  test.each([
    ["pi4", { power: { ...OFF, under_voltage_alarm: 0 }, disk_io: { "mmcblk0.read_bytes": 1954421760, "mmcblk0.written_bytes": 4665552896, "mmcblk0.io_ms": 412880 } }],
    ["pi4-undervolt", { power: { ...OFF, under_voltage: 1, under_voltage_since_boot: 1, throttled: 1, throttled_since_boot: 1, under_voltage_alarm: 1 } }],
    ["pi5", { power: { ...OFF, under_voltage_alarm: 0 }, disk_io: { "mmcblk0.read_bytes": 10485760, "mmcblk0.written_bytes": 0, "mmcblk0.io_ms": 120, "nvme0n1.read_bytes": 8710052864, "nvme0n1.written_bytes": 20527671296, "nvme0n1.io_ms": 91230 } }],
    ["pi5-undervolt", { power: { ...OFF, under_voltage_alarm: 1 } }],
    ["jetson-orin", {
      gpu: { "gpu0.load": 47.3, "gpu0.mhz": 624.8, "gpu0.celsius": 43.3 },
      storage_health: { "mmcblk0.wear_a": 20, "mmcblk0.wear_b": 10, "mmcblk0.pre_eol": 1 },
      disk_io: { "mmcblk0.read_bytes": 49152000, "mmcblk0.written_bytes": 13926400, "mmcblk0.io_ms": 2200, "nvme0n1.read_bytes": 3590041600, "nvme0n1.written_bytes": 7788036096, "nvme0n1.io_ms": 44012 },
    }],
    ["docker-host", {
      containers: {
        "db.memory_bytes": 536870912, "db.memory_max_bytes": 1073741824,
        "web.memory_bytes": 73400320, "web.memory_max_bytes": 268435456,
        "b2b2b2b2b2b2.memory_bytes": 10485760,
        "e5e5e5e5e5e5.memory_bytes": 31457280,
        "web_2.memory_bytes": 20971520,
      },
      top_processes: {
        cpu1: "postgres [1544] 6.8%", cpu2: "node [1602] 1.3%", cpu3: "dockerd [612] 0.7%", cpu4: "containerd [700] 0.4%", cpu5: "systemd [1] 0.1%",
        rss1: "postgres [1544] 512 MiB", rss2: "node [1602] 160 MiB", rss3: "dockerd [612] 70.3 MiB", rss4: "containerd [700] 35.2 MiB", rss5: "systemd [1] 12.1 MiB",
      },
    }],
  ] as const)("%s", async (tree, expected) => {
    t = testContext({ now: () => NOW });
    const r = await collect(tree);
    expect(r.meta.errors).toEqual([]);
    expect(values(r)).toMatchObject(expected);
    // What the tree does not have is absent, not an error.
    for (const id of ["power", "gpu", "storage_health", "containers"]) if (!(id in expected)) expect(values(r)).not.toHaveProperty(id);
  });

  test("network_interfaces tells a Pi's wlan0 from eth0, and sums to network", async () => {
    t = testContext({ now: () => NOW });
    const config = resolveConfig({ collect: { rootfs: join(FIXTURES, "pi4") }, items: { only: ["network", "network_interfaces"] } }, "test", []);
    const r = values(await runCollect(t.ctx, config)) as Record<string, Record<string, number>>;
    expect(r.network_interfaces).toMatchObject({ "eth0.bytes_received": 3487215904, "wlan0.bytes_received": 98442117, "wlan0.bytes_sent": 21330482 });
    expect(r.network_interfaces!["eth0.bytes_received"]! + r.network_interfaces!["wlan0.bytes_received"]!).toBe(r.network!.bytes_received!);
  });

  test("containers: the first run reports memory only; the next reports CPU over the window between them", async () => {
    const clock = manualClock(NOW);
    t = testContext({ now: clock.now });
    const first = values(await collect("docker-host")).containers as Record<string, number>;
    expect(Object.keys(first).filter((k) => k.endsWith(".cpu_percent"))).toEqual([]);
    // The previous run's usage, as it would have been stored 60 s before: web used 30 s of CPU since (50 %),
    // db 150 s (2.5 cores), and the pod restarted (its counter went back: no figure).
    writeState(t.ctx.paths.state, STATE_FILES.containersSample, {
      ms: clock.now() - 60_000,
      bootId: "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
      usage: { [`docker:${DOCKER.web}`]: 154_000_000, [`podman:${DOCKER.db}`]: 450_000_000, [`docker:${DOCKER.worker}`]: 30_500_000, [`containerd:${DOCKER.pod}`]: 99_000_000 },
    });
    const second = values(await collect("docker-host")).containers as Record<string, number>;
    expect(second).toMatchObject({ "web.cpu_percent": 50, "db.cpu_percent": 250, "b2b2b2b2b2b2.cpu_percent": 0 });
    expect(second).not.toHaveProperty("e5e5e5e5e5e5.cpu_percent");
    expect(second).not.toHaveProperty("web_2.cpu_percent");
  });

  test("containers: a sample from another boot gives no window", async () => {
    t = testContext({ now: () => NOW });
    writeState(t.ctx.paths.state, STATE_FILES.containersSample, { ms: NOW - 60_000, bootId: "another-boot", usage: { [`docker:${DOCKER.web}`]: 1 } });
    const r = values(await collect("docker-host")).containers as Record<string, number>;
    expect(r).not.toHaveProperty("web.cpu_percent");
  });

  test("top_processes: CPU over the window since the previous run", async () => {
    t = testContext({ now: () => NOW });
    // 60 s earlier node had 900 ticks less (9 s of CPU in 60 s = 15 %), postgres none less (idle since).
    writeState(t.ctx.paths.state, STATE_FILES.processesSample, {
      ms: NOW - 60_000,
      bootId: "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
      ticks: { "1602:2600": 12000, "1544:2500": 68000, "612:1800": 7300, "700:1810": 4200, "1:1": 1300, "2:1": 0, "1700:2700": 15, "2873:900000": 3 },
    });
    const r = values(await collect("docker-host")).top_processes as Record<string, string>;
    expect(Object.entries(r).filter(([k]) => k.startsWith("cpu"))).toEqual([["cpu1", "node [1602] 15%"]]);
  });

  test.each([
    [
      "an AMD card (drm): busy percent, the current sclk, its hwmon edge temperature; connectors are not cards",
      {
        "sys/class/drm/card0/device/gpu_busy_percent": "37\n",
        "sys/class/drm/card0/device/pp_dpm_sclk": "0: 500Mhz\n1: 1243Mhz *\n2: 2100Mhz\n",
        "sys/class/drm/card0/device/hwmon/hwmon3/temp1_input": "51000\n",
        "sys/class/drm/card0-HDMI-A-1/status": "connected\n",
      },
      { "gpu0.load": 37, "gpu0.mhz": 1243, "gpu0.celsius": 51 },
    ],
    [
      "an older Jetson (Nano, L4T 32): gpu.0/load without a devfreq class link, the GPU-therm zone",
      {
        "sys/devices/gpu.0/load": "1000\n",
        "sys/devices/gpu.0/devfreq/57000000.gpu/cur_freq": "921600000\n",
        "sys/class/thermal/thermal_zone2/type": "GPU-therm\n",
        "sys/class/thermal/thermal_zone2/temp": "38500\n",
      },
      { "gpu0.load": 100, "gpu0.mhz": 921.6, "gpu0.celsius": 38.5 },
    ],
  ])("gpu: %s", async (_, files, expected) => {
    const tree = tempDir("bagtower-gpu-");
    try {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(tree.dir, path)), { recursive: true });
        writeFileSync(join(tree.dir, path), text);
      }
      t = testContext({ now: () => NOW });
      const config = resolveConfig({ collect: { rootfs: tree.dir }, items: { only: ["gpu"] } }, "test", []);
      const r = await runCollect(t.ctx, config);
      expect({ errors: r.meta.errors, gpu: values(r).gpu }).toEqual({ errors: [], gpu: expected });
    } finally {
      tree.cleanup();
    }
  });
});
