// The schema-3 database generator (test/helpers/schema3-db.ts): what it writes is what the
// schema-3 store wrote for the same walked records, and the store reads the walked values back.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Item } from "../../src/record/schema.ts";
import { openStore } from "../../src/serve/store.ts";
import { schema3Walk, writeSchema3Database, type Schema3Options } from "../helpers/schema3-db.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bagtower-schema3-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Sample {
  key: string;
  ts: number;
  value: number;
}

/** An item's numbers as the series API keys them: "" for a scalar, the index or the key otherwise. */
function samplesOf(item: Item, ts: number): Sample[] {
  if (typeof item.val === "number") return [{ key: "", ts, value: item.val }];
  if (typeof item.val !== "object" || item.val === null) return [];
  return Object.entries(item.val).map(([key, value]) => ({ key, ts, value: value as number }));
}

const byTsKey = (a: Sample, b: Sample) => a.ts - b.ts || a.key.localeCompare(b.key);

/** store.series' rows, whichever shape the store answers in (schema 3: the rows; schema 4: { rows }). */
function seriesRows(out: unknown): Sample[] {
  const rows = (Array.isArray(out) ? out : (out as { rows: Sample[] }).rows) as Sample[];
  return rows.map(({ key, ts, value }) => ({ key, ts, value }));
}

// Ending an hour ago: the records stay inside the raw tier (30 days) that the migration keeps them in.
const OPTIONS: Schema3Options = { devices: 4, recordsPerDevice: 200, endS: Math.floor(Date.now() / 1000) - 3600, seed: 7 };

describe("writeSchema3Database", () => {
  test("the store opens what it writes and reads back every walked sample and the latest values", () => {
    const path = join(dir, "serve.db");
    const summary = writeSchema3Database(path, OPTIONS);
    expect(summary.records).toBe(OPTIONS.devices * OPTIONS.recordsPerDevice);
    expect(summary.lastS).toBeLessThan(OPTIONS.endS);
    const walk = schema3Walk(OPTIONS);
    const store = openStore(path);
    try {
      expect(store.counts().devices).toBe(OPTIONS.devices);
      const device = 2;
      const records = Array.from({ length: OPTIONS.recordsPerDevice }, (_, step) => walk.recordAt(device, step));
      const newest = records.at(-1)!;
      const id = newest.deviceId!;
      const items = store.items(id);
      expect(items.map((i) => [i.id, i.type, i.latest, i.ts]).sort()).toEqual(newest.data.map((i) => [i.id, i.type, i.val, newest.unixTimestamp]).sort());
      let compared = 0;
      for (const item of newest.data) {
        if (item.type === "string") continue;
        const expected = records.flatMap((r) => samplesOf(r.data.find((i) => i.id === item.id)!, r.unixTimestamp)).sort(byTsKey);
        const got = seriesRows(store.series(id, item.id, summary.firstS, OPTIONS.endS)).sort(byTsKey);
        expect({ item: item.id, samples: got }).toEqual({ item: item.id, samples: expected });
        compared += got.length;
      }
      expect(compared).toBe(OPTIONS.recordsPerDevice * 30);
    } finally {
      store.close();
    }
  }, 60_000);

  test("refuses an empty fleet or no records", () => {
    expect(() => writeSchema3Database(join(dir, "x.db"), { ...OPTIONS, devices: 0 })).toThrow("devices: expected a whole number ≥ 1, got 0");
    expect(() => writeSchema3Database(join(dir, "x.db"), { ...OPTIONS, recordsPerDevice: 1.5 })).toThrow("recordsPerDevice: expected a whole number ≥ 1, got 1.5");
  });
});
