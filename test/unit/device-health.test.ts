// The health figures GET /api/devices gives each device for the fleet page's flags.
import { describe, expect, test } from "bun:test";
import { storageWear, underVoltage } from "../../src/serve/device-health.ts";

describe("underVoltage", () => {
  test.each([
    ["all clear", { under_voltage: 0, under_voltage_since_boot: 0, throttled: 1, under_voltage_alarm: 0 }, 0],
    ["since boot only", { under_voltage: 0, under_voltage_since_boot: 1 }, 1],
    ["the latched hwmon alarm only (a Pi 5)", { under_voltage_alarm: 1 }, 1],
    ["throttled for heat is not a power fault", { throttled: 1, soft_temp_limit: 1 }, undefined],
    ["no power item", undefined, undefined],
    ["not an object", 3, undefined],
  ])("%s", (_, power, expected) => expect(underVoltage(power)).toBe(expected));
});

describe("storageWear", () => {
  test.each([
    ["the most worn of A and B, several devices", { "mmcblk0.wear_a": 20, "mmcblk0.wear_b": 10, "mmcblk1.wear_a": 90 }, 90],
    ["pre_eol is a level, not a wear", { "mmcblk0.pre_eol": 3 }, undefined],
    ["no storage_health item", undefined, undefined],
    ["text values are ignored", { "mmcblk0.wear_a": "90" }, undefined],
  ])("%s", (_, health, expected) => expect(storageWear(health)).toBe(expected));
});
