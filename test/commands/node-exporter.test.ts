// Held-out check: bagtower over node_exporter's own fixture trees must agree with what node_exporter
// printed over them (its e2e-output.txt) for the figures both read. See test/fixtures/node-exporter/README.md.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/main.ts";
import type { BagtowerRecord } from "../../src/record/schema.ts";
import { tempDir, testContext, type TestContext } from "../helpers/context.ts";
import { extractTtar, parseTtar } from "../helpers/ttar.ts";

const DIR = join(import.meta.dir, "../fixtures/node-exporter");

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text lines → samples (the subset of the format e2e-output.txt uses). */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

let root: { dir: string; cleanup: () => void };
let t: TestContext;
let ours: Record<string, Record<string, number> | string>;
let theirs: Sample[];
const family = (name: string) => theirs.filter((s) => s.name === name);

beforeAll(async () => {
  root = tempDir("bagtower-node-exporter-");
  extractTtar(parseTtar(readFileSync(join(DIR, "sys.ttar"), "utf8")), root.dir);
  cpSync(join(DIR, "proc"), join(root.dir, "proc"), { recursive: true });
  theirs = parseExposition(readFileSync(join(DIR, "e2e-output.txt"), "utf8"));
  t = testContext();
  const code = await runCli(["collect", "--home", t.home, "--root", root.dir, "--only", "temperature,disk_io,battery,battery_status"], { overrides: t.ctx });
  expect(code).toBe(0);
  const record = JSON.parse(t.out.join("")) as BagtowerRecord;
  expect(record.meta.errors).toEqual([]);
  ours = Object.fromEntries(record.data.map((i) => [i.id, i.val as Record<string, number> | string]));
});
afterAll(() => {
  t.cleanup();
  root.cleanup();
});

describe("collect --root over node_exporter's fixtures agrees with its e2e-output.txt", () => {
  test("disk_io: bytes read and written and I/O time of every whole disk", () => {
    const disk = ours.disk_io as Record<string, number>;
    const devices = [...new Set(Object.keys(disk).map((k) => k.slice(0, k.lastIndexOf("."))))];
    // Partitions, device-mapper volumes beside real disks and the idle sr0 are left out by design.
    expect(devices.sort()).toEqual(["mmcblk0", "nvme0n1", "sda", "sdb", "sdc", "vda"]);
    for (const dev of devices) {
      const theirsOf = (name: string) => family(name).find((s) => s.labels.device === dev)?.value;
      expect([dev, disk[`${dev}.read_bytes`]]).toEqual([dev, theirsOf("node_disk_read_bytes_total")!]);
      expect([dev, disk[`${dev}.written_bytes`]]).toEqual([dev, theirsOf("node_disk_written_bytes_total")!]);
      expect(disk[`${dev}.io_ms`]! / 1000).toBeCloseTo(theirsOf("node_disk_io_time_seconds_total")!, 6);
    }
  });

  test("temperature: every hwmon chip's temperatures", () => {
    const temps = ours.temperature as Record<string, number>;
    const chipName = new Map(family("node_hwmon_chip_names").map((s) => [s.labels.chip!, s.labels.chip_name!]));
    const group = (entries: [string, number][]) => {
      const out: Record<string, number[]> = {};
      for (const [chip, value] of entries) (out[chip] ??= []).push(value);
      for (const values of Object.values(out)) values.sort((a, b) => a - b);
      return out;
    };
    const expected = group(family("node_hwmon_temp_celsius").map((s) => [chipName.get(s.labels.chip!) ?? s.labels.chip!, s.value]));
    const actual = group(Object.entries(temps).filter(([k]) => k.includes("/")).map(([k, v]) => [k.slice(0, k.indexOf("/")), v]));
    expect(Object.keys(expected).length).toBeGreaterThan(3);
    expect(actual).toEqual(expected);
  });

  test("temperature: thermal zones by type (bagtower rounds to 0.1 °C)", () => {
    const zones = family("node_thermal_zone_temp");
    expect(zones.length).toBeGreaterThan(0);
    for (const zone of zones) expect((ours.temperature as Record<string, number>)[zone.labels.type!]).toBeCloseTo(zone.value, 1);
  });

  test("battery: capacity, health from energy_full / energy_full_design, and no mains online", () => {
    const capacity = family("node_power_supply_capacity")[0]!;
    const full = family("node_power_supply_energy_full").find((s) => s.labels.power_supply === capacity.labels.power_supply)!;
    const design = family("node_power_supply_energy_full_design").find((s) => s.labels.power_supply === capacity.labels.power_supply)!;
    expect(ours.battery).toEqual({ percent: capacity.value, health_percent: Math.round((full.value / design.value) * 1000) / 10 });
    expect(family("node_power_supply_online").every((s) => s.value === 0)).toBe(true);
    expect(ours.battery_status).toBe("UNPLUGGED");
  });
});
