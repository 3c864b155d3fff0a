// Whole outputs from fixture trees of real devices, compared with golden files (node_exporter's
// e2e-output.txt habit): the record, and what `collect --format …` prints in each wire format.
// Regenerate after an intended change with: UPDATE_GOLDEN=1 bun test test/commands/collect-fixtures.test.ts
// and read the diff: every changed value must be explainable from the fixture's files.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CPU_SAMPLE_STATE, type CpuSample } from "../../src/collect/items/cpu.ts";
import { runCollect } from "../../src/collect/run.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { runCli } from "../../src/main.ts";
import { writeState } from "../../src/state.ts";
import { FIXTURES, fixtureStatfs, testContext, type TestContext } from "../helpers/context.ts";

const CASES = ["pi4", "laptop", "server"] as const;
/** The wire formats with a golden file per fixture, by the file's name. */
const WIRE_GOLDENS = [
  ["prometheus", "expected.prom"],
  ["influx", "expected.influx"],
  ["pattoo", "expected.pattoo.json"],
  ["datadog", "expected.datadog.json"],
] as const;

/** A missing golden fails: only UPDATE_GOLDEN=1 writes one, so a forgotten file is never "passed" by creating it. */
function expectGolden(path: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, actual);
  if (!existsSync(path)) throw new Error(`no golden file ${path}: run UPDATE_GOLDEN=1 bun test test/commands/collect-fixtures.test.ts and review the new file`);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

describe("collect over fixture trees", () => {
  let t: TestContext;
  afterEach(() => t.cleanup());

  /** A Context over the fixture: its clock 10 minutes after the stored CPU sample, fixed random bytes and statfs. */
  function fixtureContext(name: string): string {
    const root = join(FIXTURES, name);
    // The fixture's cpu-sample.json is the /proc/stat of 10 minutes earlier, as a previous run stored it.
    const sample = JSON.parse(readFileSync(join(root, "cpu-sample.json"), "utf8")) as CpuSample;
    t = testContext({
      now: () => sample.ms + 600_000,
      randomBytes: (n) => new Uint8Array(n).fill(7),
      statfs: fixtureStatfs(root),
      machineArch: "not-read",
    });
    writeState(t.ctx.paths.state, CPU_SAMPLE_STATE, sample);
    return root;
  }

  async function collectFixture(name: string) {
    const root = fixtureContext(name);
    const config = resolveConfig({ deviceId: `${name}-1`, tags: { site: "fixtures" }, collect: { rootfs: root } }, "test", []);
    return runCollect(t.ctx, config);
  }

  test.each(CASES)("%s matches its golden record", async (name) => {
    const record = await collectFixture(name);
    expectGolden(join(FIXTURES, name, "expected.json"), `${JSON.stringify(record, null, 2)}\n`);
  });

  describe.each(CASES)("%s: collect --format", (name) => {
    test.each(WIRE_GOLDENS)(`%s matches ${name}/%s`, async (format, file) => {
      const root = fixtureContext(name);
      writeFileSync(join(t.home, "config.json"), JSON.stringify({ deviceId: `${name}-1`, tags: { site: "fixtures" } }));
      const code = await runCli(["collect", "--home", t.home, "--root", root, "--format", format], { overrides: t.ctx });
      expect({ code, logs: t.logs }).toEqual({ code: 0, logs: [] });
      const out = t.out.join("");
      // JSON goldens are indented so a diff shows the changed value; key order and values still count.
      expectGolden(join(root, file), file.endsWith(".json") ? `${JSON.stringify(JSON.parse(out), null, 2)}\n` : out);
    });
  });

  // telemetrics prints its header (the TID), a blank line and the v3 JSON body; the golden keeps
  // the fields and the header, and the payload must be the golden record itself.
  test.each(CASES)("%s: collect --format telemetrics fills the fields from the device (expected.telemetrics.json)", async (name) => {
    const root = fixtureContext(name);
    writeFileSync(join(t.home, "config.json"), JSON.stringify({ deviceId: `${name}-1`, tags: { site: "fixtures" } }));
    const code = await runCli(["collect", "--home", t.home, "--root", root, "--format", "telemetrics"], { overrides: t.ctx });
    expect({ code, logs: t.logs }).toEqual({ code: 0, logs: [] });
    const [head, body] = t.out.join("").split("\n\n") as [string, string];
    const { payload, ...fields } = JSON.parse(body) as Record<string, string>;
    expect(JSON.parse(payload!)).toEqual(JSON.parse(readFileSync(join(root, "expected.json"), "utf8")));
    expectGolden(join(root, "expected.telemetrics.json"), `${JSON.stringify({ headers: head.split("\n"), fields }, null, 2)}\n`);
  });

  const item = (record: Awaited<ReturnType<typeof collectFixture>>, id: string) => record.data.find((i) => i.id === id)?.val;

  test("pi4: thermal zone, WiFi, no battery, device-tree model, 10-minute CPU window", async () => {
    const r = await collectFixture("pi4");
    expect(r.meta.errors).toEqual([]);
    expect(r.meta.cpuWindowS).toBe(600);
    expect(item(r, "cpu_per_cpu")).toHaveLength(4);
    expect(item(r, "temperature")).toEqual({ "cpu-thermal": 48.3 });
    expect(item(r, "wifi")).toEqual({ rssi_dbm: -53, signal_quality_percent: 81.4 });
    expect(item(r, "battery_status")).toBe("NO_BATTERY");
    expect(item(r, "battery")).toBeUndefined();
    expect(item(r, "cpu_frequency")).toBe(1350);
    // (3885396 − 3231604) / 3885396
    expect(item(r, "memory")).toBe(16.8);
    expect(item(r, "last_boot")).toBe(new Date(1773498721 * 1000).toISOString());
    expect(item(r, "sockets_info")).toEqual({ nb_established: 7, nb_sockets_closing: 6, nb_sockets_close: 1, nb_sockets_listen: 4 });
    expect(item(r, "filesystems")).toEqual({ "/": 31.2, "/boot/firmware": 12 });
    expect(item(r, "system")).toEqual({ kernel: "6.6.31-v8+", os: expect.stringContaining("Debian GNU/Linux 12"), arch: "aarch64", model: "Raspberry Pi 4 Model B Rev 1.4" });
  });

  test("laptop: discharging battery, AC offline, hwmon sensors, no MemAvailable", async () => {
    const r = await collectFixture("laptop");
    expect(r.meta.errors).toEqual([]);
    expect(item(r, "battery_status")).toBe("UNPLUGGED");
    expect(item(r, "battery")).toEqual({ percent: 76, health_percent: 90 });
    // MemFree + Buffers + Cached = 12233436 of 15700236 kB available
    expect(item(r, "memory")).toBe(22.1);
    expect(item(r, "temperature")).toEqual({
      acpitz: 45,
      x86_pkg_temp: 52,
      "INT3400 Thermal": 20,
      "acpitz/temp1": 45,
      "coretemp/Package id 0": 52,
      "coretemp/Core 0": 50,
      "coretemp/Core 1": 51,
      "nvme/Composite": 38.9,
    });
    expect(item(r, "filesystems")).toEqual({ "/": 50.8, "/boot/efi": 0.6 });
    expect(item(r, "wifi")).toEqual({ rssi_dbm: -68, signal_quality_percent: 60 });
  });

  test("server: offline CPUs, bonded NICs counted once, NFS with 1 MiB blocks, two coretemp devices", async () => {
    const r = await collectFixture("server");
    expect(r.meta.errors).toEqual([]);
    expect(item(r, "cpu_per_cpu")).toHaveLength(62);
    expect(item(r, "network")).toMatchObject({ bytes_received: 41391354018628, bytes_sent: 20486450784374 });
    expect(item(r, "temperature")).toEqual({ "coretemp/Package id 0": 61, "coretemp/Package id 1": 58 });
    expect(item(r, "filesystems")).toEqual({ "/": 16.7, "/boot": 28.7, "/var/lib/data": 67, "/mnt/backup": 73.8 });
    expect(item(r, "wifi")).toBeUndefined();
    expect(item(r, "battery_status")).toBe("NO_BATTERY");
    expect(item(r, "cpu_frequency")).toBeUndefined();
    expect(item(r, "system")).toMatchObject({ model: "Dell Inc. PowerEdge R750", arch: "x86_64" });
  });
});
