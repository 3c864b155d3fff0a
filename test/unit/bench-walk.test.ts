import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { createWalk, influxLines, STEP_S, WEEK_STEPS } from "../../bench/walk.ts";
import { numericPoints } from "../../src/formats/flatten.ts";
import { parseLines } from "../../src/serve/ingest/line-protocol.ts";
import { recordSchema } from "../../src/record/schema.ts";

const DEVICES = 20;
const week = (seed: number, device: number) => {
  const walk = createWalk(seed, DEVICES, { start: 1_800_000_000 });
  return Array.from({ length: WEEK_STEPS }, (_, step) => walk.recordAt(device, step));
};
const valueOf = (record: ReturnType<typeof week>[number], id: string, key?: string) =>
  numericPoints(record).find((p) => p.id === id && p.key === key)!.value;
const decimals = (x: number) => (String(x).split(".")[1] ?? "").length;

describe("bench/walk.ts", () => {
  test("deterministic for a seed, whatever order the steps are asked in; another seed differs", () => {
    const forward = week(7, 3);
    const walk = createWalk(7, DEVICES, { start: 1_800_000_000 });
    expect(walk.recordAt(3, 500)).toEqual(forward[500]!);
    expect(walk.recordAt(3, 10)).toEqual(forward[10]!);
    expect(walk.recordAt(5, 0)).not.toEqual(forward[0]!);
    expect(week(8, 3)[500]!.data).not.toEqual(forward[500]!.data);
  });

  test("valid records, 30 numbers each, ten minutes apart, unique ids; Influx lines carry the same numbers", () => {
    const records = week(1, 0);
    for (const r of records.slice(0, 50)) expect(v.safeParse(recordSchema, r).success).toBe(true);
    expect(new Set(records.map((r) => numericPoints(r).length))).toEqual(new Set([30]));
    expect(records[1]!.unixTimestamp - records[0]!.unixTimestamp).toBe(STEP_S);
    expect(new Set(records.map((r) => r.meta.recordId)).size).toBe(WEEK_STEPS);
    // The VictoriaMetrics reference: a record is one line of all its numbers.
    const lines = parseLines(influxLines(records.slice(0, 2)));
    expect(lines).toHaveLength(2);
    expect(lines[1]!.fields.cpu).toBe(valueOf(records[1]!, "cpu"));
    expect(lines[1]!.fields.network_bytes_sent).toBe(valueOf(records[1]!, "network", "bytes_sent"));
    expect(Object.keys(lines[1]!.fields)).toHaveLength(30);
  });

  test("values in range, with the fixture's precision, and they vary", () => {
    const records = Array.from({ length: 5 }, (_, d) => week(2, d)).flat();
    for (const r of records) {
      for (const p of numericPoints(r)) {
        if (p.type === "percent") {
          expect(p.value).toBeGreaterThanOrEqual(0);
          expect(p.value).toBeLessThanOrEqual(100);
          expect(decimals(p.value)).toBeLessThanOrEqual(1);
        }
        if (p.type === "count" || p.type === "counter" || p.type === "bytes") expect(Number.isInteger(p.value) && p.value >= 0).toBe(true);
        if (p.id === "load") expect(decimals(p.value)).toBeLessThanOrEqual(2);
        if (p.id === "temperature") expect(decimals(p.value) <= 1 && p.value > 20 && p.value < 90).toBe(true);
      }
    }
    const distinct = (id: string, key?: string) => new Set(records.map((r) => valueOf(r, id, key))).size;
    expect(distinct("cpu")).toBeGreaterThan(100);
    expect(distinct("sockets_info", "nb_established")).toBeGreaterThan(3);
    expect(distinct("temperature", "cpu-thermal")).toBeGreaterThan(20);
  });

  test("counters only grow, by realistic amounts, except at a reboot, where uptime starts over too", () => {
    let resets = 0;
    for (let d = 0; d < DEVICES; d++) {
      const records = week(3, d);
      for (let k = 1; k < records.length; k++) {
        const [a, b] = [records[k - 1]!, records[k]!];
        const rebooted = valueOf(b, "uptime") < valueOf(a, "uptime");
        if (rebooted) resets++;
        expect(rebooted).toBe(b.data.find((i) => i.id === "last_boot")!.val !== a.data.find((i) => i.id === "last_boot")!.val);
        for (const key of ["bytes_sent", "bytes_received", "packets_sent", "packets_received"]) {
          const grew = valueOf(b, "network", key) - valueOf(a, "network", key);
          if (rebooted) expect(valueOf(b, "network", key)).toBeLessThan(valueOf(a, "network", key));
          else expect(grew >= 0 && grew < 2e10).toBe(true);
        }
        if (!rebooted) expect(valueOf(b, "uptime") - valueOf(a, "uptime")).toBeCloseTo(STEP_S, 5);
      }
    }
    // About one reboot per device every two weeks: some, not many.
    expect(resets).toBeGreaterThan(0);
    expect(resets).toBeLessThan(DEVICES * 2);
  });

  test("another step: records that far apart, uptime advancing as much; timestampAt gives their timestamps without walking", () => {
    const walk = createWalk(3, DEVICES, { start: 1_800_000_000, stepS: 7200 });
    const [a, b] = [walk.recordAt(4, 10), walk.recordAt(4, 11)];
    expect(b.unixTimestamp - a.unixTimestamp).toBe(7200);
    if (valueOf(b, "uptime") > valueOf(a, "uptime")) expect(valueOf(b, "uptime") - valueOf(a, "uptime")).toBeCloseTo(7200, 5);
    for (const step of [0, 11, 500]) expect(walk.timestampAt(4, step)).toBe(walk.recordAt(4, step).unixTimestamp);
    expect(() => createWalk(3, DEVICES, { stepS: 0 })).toThrow("stepS 0 is not a whole number of seconds ≥ 1");
  });

  test("refuses a device outside the fleet or a negative step", () => {
    const walk = createWalk(1, 2);
    expect(() => walk.recordAt(2, 0)).toThrow("device 2 is not in 0..1");
    expect(() => walk.recordAt(0, -1)).toThrow("step -1");
  });
});
