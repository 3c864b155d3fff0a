// The dashboard's value and time formatting (dashboard/format.js, run as is by the browser).
import { describe, expect, test } from "bun:test";
import { axisFormatter, formatBytes, formatCompact, formatSeconds, headline, relTime, toMs, unitAxes, unitLabel, valueFormatter } from "../../src/serve/dashboard/format.js";

describe("relTime", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  test.each([
    [now / 1000, "just now"],
    [now / 1000 + 30, "just now"], // a clock ahead of ours is not "in the future"
    [now / 1000 - 1, "1 s ago"],
    [now / 1000 - 59, "59 s ago"],
    [now / 1000 - 60, "1 min ago"],
    [now / 1000 - 3599, "59 min ago"],
    [now / 1000 - 3600, "1 h ago"],
    [now / 1000 - 86_399, "23 h ago"],
    [now / 1000 - 86_400 * 3, "3 d ago"],
    ["2026-12-01T11:58:00Z", "2 min ago"],
    ["not a time", "never"],
    [null, "never"],
  ] as const)("%p → %p", (time, text) => {
    expect(relTime(time as number | string | null, now)).toBe(text);
  });

  test("unix seconds and ISO text are the same instant", () => {
    expect(toMs(1_764_590_400)).toBe(Date.parse("2025-12-01T12:00:00Z"));
  });
});

describe("values", () => {
  test.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [150 * 1024 * 1024, "150 MiB"],
    [-2048, "-2 KiB"],
    [1024 ** 6, "1024 PiB"],
  ])("bytes %p → %p", (value, text) => {
    expect(formatBytes(value)).toBe(text);
  });

  test.each([
    [42.25, "42.3 s"],
    [119, "119 s"],
    [120, "2 min"],
    [5400, "90 min"],
    [9000, "2.5 h"],
    [172_800, "2 d"],
  ])("seconds %p → %p", (value, text) => {
    expect(formatSeconds(value)).toBe(text);
  });

  test("small numbers keep their digits; large ones go compact", () => {
    expect(formatCompact(3.14159)).toBe("3.14");
    expect(formatCompact(123.456)).toBe("123.5");
    expect(formatCompact(1500)).toMatch(/^1\.5\s?K$/);
  });

  test("by type, and by key where an object mixes units", () => {
    expect(valueFormatter("percent", false, "")(42.26)).toBe("42.3 %");
    expect(valueFormatter("celsius", false, "")(48.04)).toBe("48 °C");
    expect(valueFormatter("counter", true, "bytes_sent")(12_000)).toBe("11.7 KiB/s");
    expect(valueFormatter("counter", true, "packets_sent")(40)).toBe("40 packets/s");
    expect(valueFormatter("number", false, "signal_quality_percent")(71)).toBe("71 %");
    expect(valueFormatter("number", false, "rssi_dbm")(-61.4)).toBe("-61 dBm");
    expect(valueFormatter("mhz", false, "")(1499.6)).toBe("1500 MHz");
    expect(valueFormatter("seconds", false, "")(7200)).toBe("2 h");
    expect(axisFormatter("percent", false)(50)).toBe("50%");
    expect(axisFormatter("bytes", true)(2048)).toBe("2 KiB/s");
  });

  test("two units in one item get an axis each, named: bytes/s and packets/s (issue 15)", () => {
    const network = unitAxes("counter", true, ["bytes_sent", "bytes_received", "packets_sent", "packets_received"]);
    expect(network.scaleOf).toEqual(["y", "y", "y2", "y2"]);
    expect(network.axes.map((axis) => axis.label)).toEqual(["bytes/s", "packets/s"]);
    expect(network.axes[0]!.format(2048)).toBe("2 KiB/s");
    expect(network.axes[1]!.format(40)).toBe("40");
    expect(unitAxes("number", false, ["rssi_dbm", "signal_quality_percent"]).axes.map((axis) => axis.label)).toEqual(["dBm", "%"]);
    expect(unitAxes("counter", true, ["read_bytes", "written_bytes", "io_ms"]).axes.map((axis) => axis.label)).toEqual(["bytes/s", "ms/s"]);
    // One unit, or more than two: one axis, as before.
    expect(unitAxes("percent", false, ["0", "1"]).axes).toHaveLength(1);
    expect(unitAxes("count", false, ["nb_established", "nb_sockets_listen"]).scaleOf).toEqual(["y", "y"]);
  });

  test("a graph's unit", () => {
    expect(["percent", "celsius", "counter", "number", "count", "custom"].map(unitLabel)).toEqual(["%", "°C", "/s", "number", "count", "custom"]);
  });

  test("the fleet's headline of a reading: the number, or an object's largest", () => {
    expect(headline(41.5)).toBe(41.5);
    expect(headline({ cpu_thermal: 48.2, gpu: 51.1, name: "x" })).toBe(51.1);
    expect(headline([3, 9, 4])).toBe(9);
    expect(headline({})).toBeUndefined();
    expect(headline("text")).toBeUndefined();
    expect(headline(null)).toBeUndefined();
  });
});
