// The schema-3 database generator (test/helpers/schema3-db.ts): what it writes is what the
// schema-3 store wrote for the same walked records, and the store reads the walked values back.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Item } from "../../src/record/schema.ts";
import { parseBagtowerBody } from "../../src/serve/ingest/bagtower.ts";
import { DEFAULT_LIMITS } from "../../src/serve/limits.ts";
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

const OPTIONS: Schema3Options = { devices: 4, recordsPerDevice: 200, endS: 1_795_000_000, seed: 7 };

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

  // The generator is checked row for row against the store it stands in for while the store
  // writes schema 3; once the store writes a newer schema this comparison has nothing to compare with.
  const storeSchema = (() => {
    const store = openStore(":memory:");
    const version = (store.db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    store.close();
    return version;
  })();
  test.skipIf(storeSchema !== 3)("its rows are the schema-3 store's for the same records pushed one by one as they were made", async () => {
    const options: Schema3Options = { devices: 3, recordsPerDevice: 40, endS: 1_795_000_000, seed: 11 };
    const generated = join(dir, "generated.db");
    writeSchema3Database(generated, options);
    const walk = schema3Walk(options);
    const pushed = join(dir, "pushed.db");
    const store = openStore(pushed);
    for (let step = 0; step < options.recordsPerDevice; step++) {
      for (let d = 0; d < options.devices; d++) {
        const record = walk.recordAt(d, step);
        // The ingest path of POST /logs: validated, re-serialised, received when it was made.
        const parsed = parseBagtowerBody(JSON.parse(JSON.stringify(record)), { limits: DEFAULT_LIMITS, nowS: record.unixTimestamp });
        await store.ingest(parsed, "127.0.0.1", record.unixTimestamp * 1000);
      }
    }
    store.close();
    const dump = (path: string) => {
      const db = new Database(path, { readonly: true });
      try {
        return {
          version: db.query("PRAGMA user_version").get(),
          journal: db.query("PRAGMA journal_mode").get(),
          schema: db.query("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").all(),
          devices: db.query("SELECT * FROM devices ORDER BY dev").all(),
          records: db.query("SELECT * FROM records ORDER BY seq").all(),
          items: db.query("SELECT * FROM items ORDER BY dev, item").all(),
          points: db.query("SELECT dev, ts, hex(vals) AS vals FROM points ORDER BY dev, ts").all(),
          cursors: db.query("SELECT * FROM forward_cursor").all(),
        };
      } finally {
        db.close();
      }
    };
    const want = dump(pushed);
    expect(want.records).toHaveLength(options.devices * options.recordsPerDevice);
    expect(dump(generated)).toEqual(want);
  }, 60_000);

  test("refuses an empty fleet or no records", () => {
    expect(() => writeSchema3Database(join(dir, "x.db"), { ...OPTIONS, devices: 0 })).toThrow("devices: expected a whole number ≥ 1, got 0");
    expect(() => writeSchema3Database(join(dir, "x.db"), { ...OPTIONS, recordsPerDevice: 1.5 })).toThrow("recordsPerDevice: expected a whole number ≥ 1, got 1.5");
  });
});
