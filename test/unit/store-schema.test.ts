// The receiver's schema: version-1 to -3 databases are migrated in place to version 4 (chunks),
// and a database from a newer bagtower is refused rather than written to.
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/serve/store.ts";

// A day ago, on an hour: inside the raw tier when the store migrates it.
const B = Math.floor((Date.now() / 1000 - 86400) / 3600) * 3600;
const V1 = `
CREATE TABLE devices (dev INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, machine_id TEXT, hostname TEXT, labels TEXT NOT NULL DEFAULT '{}',
  period_s INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, address TEXT, status TEXT NOT NULL DEFAULT 'UP');
CREATE TABLE records (seq INTEGER PRIMARY KEY, record_id TEXT UNIQUE, dev INTEGER NOT NULL, ts INTEGER NOT NULL, received INTEGER NOT NULL, body TEXT NOT NULL, payload TEXT);
CREATE INDEX records_dev_ts ON records (dev, ts);
CREATE INDEX records_ts ON records (ts);
CREATE TABLE items (dev INTEGER NOT NULL, item TEXT NOT NULL, type TEXT NOT NULL, shape TEXT NOT NULL, keys TEXT NOT NULL, latest TEXT NOT NULL, ts INTEGER NOT NULL,
  PRIMARY KEY (dev, item)) WITHOUT ROWID;
CREATE TABLE series (dev INTEGER NOT NULL, item TEXT NOT NULL, key TEXT NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (dev, item, key, ts)) WITHOUT ROWID;
CREATE INDEX series_ts ON series (ts);
CREATE TABLE forward_cursor (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO devices VALUES (1, 'pi-01', NULL, 'pi', '{"site":"a"}', 600, ${B + 100}, ${B + 1200}, NULL, 'UP');
INSERT INTO records VALUES (1, 'rec-00000001', 1, ${B + 600}, ${B + 600}, '{}', NULL), (2, 'rec-00000002', 1, ${B + 1200}, ${B + 1200}, '{}', NULL);
INSERT INTO items VALUES (1, 'cpu', 'percent', 'scalar', '[]', '12.5', ${B + 1200}), (1, 'load', 'number', 'array', '["0","1","2"]', '[0.5,0.25,0.125]', ${B + 1200}),
  (1, 'memory_bytes', 'bytes', 'object', '["total","used"]', '{"total":1024,"used":512}', ${B + 1200}), (1, 'os', 'string', 'string', '[]', '"Debian"', ${B + 600});
INSERT INTO series VALUES (1, 'cpu', '', ${B + 600}, 10), (1, 'cpu', '', ${B + 1200}, 12.5),
  (1, 'load', '0', ${B + 1200}, 0.5), (1, 'load', '1', ${B + 1200}, 0.25), (1, 'load', '2', ${B + 1200}, 0.125),
  (1, 'memory_bytes', 'total', ${B + 1200}, 1024), (1, 'memory_bytes', 'used', ${B + 1200}, 512);
`;

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the receiver's schema", () => {
  test("a version-1 database keeps its devices, latest values, graphs and records", () => {
    dir = mkdtempSync(join(tmpdir(), "bagtower-schema-"));
    const path = join(dir, "serve.db");
    const old = new Database(path, { create: true });
    old.exec(V1);
    old.close();

    const store = openStore(path);
    expect(store.device("pi-01")?.labels).toEqual({ site: "a" });
    expect(store.items("pi-01").map((i) => [i.id, i.shape, i.latest, i.ts - B])).toEqual([
      ["cpu", "scalar", 12.5, 1200],
      ["load", "array", [0.5, 0.25, 0.125], 1200],
      ["memory_bytes", "object", { total: 1024, used: 512 }, 1200],
      ["os", "string", "Debian", 600],
    ]);
    expect(store.series("pi-01", "cpu", 0, B + 2000)).toEqual([
      { key: "", ts: B + 600, value: 10 },
      { key: "", ts: B + 1200, value: 12.5 },
    ]);
    expect(store.series("pi-01", "load", 0, B + 2000).map((p) => [p.key, p.value])).toEqual([["0", 0.5], ["1", 0.25], ["2", 0.125]]);
    expect(store.series("pi-01", "memory_bytes", 0, B + 2000).map((p) => [p.key, p.value])).toEqual([["total", 1024], ["used", 512]]);
    expect(store.counts()).toEqual({ devices: 1, records: 2 });
    store.close();

    const db = new Database(path);
    expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: 4 });
    expect(db.query("SELECT name FROM sqlite_master WHERE name IN ('series_v1', 'series_ts', 'records_ts', 'records', 'points')").all()).toEqual([]);
    db.close();
  });

  test("a version-2 database gains devices.origin: its devices came with the key, so keyless pattoo posts cannot write to them", async () => {
    dir = mkdtempSync(join(tmpdir(), "bagtower-schema-"));
    const path = join(dir, "serve.db");
    const old = new Database(path, { create: true });
    old.exec(`
      CREATE TABLE devices (dev INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, machine_id TEXT, hostname TEXT, labels TEXT NOT NULL DEFAULT '{}', period_s INTEGER NOT NULL,
        first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, address TEXT, status TEXT NOT NULL DEFAULT 'UP', latest TEXT NOT NULL DEFAULT '{}', latest_ts INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE records (seq INTEGER PRIMARY KEY, record_id TEXT UNIQUE, dev INTEGER NOT NULL, ts INTEGER NOT NULL, received INTEGER NOT NULL, body TEXT NOT NULL, payload TEXT);
      CREATE TABLE items (dev INTEGER NOT NULL, item TEXT NOT NULL, type TEXT NOT NULL, shape TEXT NOT NULL, keys TEXT NOT NULL, PRIMARY KEY (dev, item)) WITHOUT ROWID;
      CREATE TABLE points (dev INTEGER NOT NULL, ts INTEGER NOT NULL, vals BLOB NOT NULL, PRIMARY KEY (dev, ts));
      CREATE TABLE forward_cursor (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO devices (dev, id, period_s, first_seen, last_seen) VALUES (1, 'pi-01', 600, 100, 1200);
      PRAGMA user_version = 2;`);
    old.close();

    const store = openStore(path);
    const record = (deviceId: string) => ({ deviceId, recordId: `rec-${deviceId}-1`, unixTimestamp: 1300, data: [{ id: "cpu", type: "percent" as const, val: 5 }], body: () => "{}" });
    await expect(store.ingest([record("pi-01")], null, 1_300_000, "open")).rejects.toThrow("device pi-01 was created with the ingest key");
    await store.ingest([record("pattoo-target")], null, 1_300_000, "open");
    await store.ingest([record("pi-01")], null, 1_300_000, "key");
    store.close();

    const db = new Database(path);
    expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: 4 });
    expect(db.query("SELECT id, origin FROM devices ORDER BY id").all()).toEqual([
      { id: "pattoo-target", origin: "open" },
      { id: "pi-01", origin: "key" },
    ]);
    db.close();
  });

  test("a database from a newer bagtower is refused, untouched", () => {
    dir = mkdtempSync(join(tmpdir(), "bagtower-schema-"));
    const path = join(dir, "serve.db");
    const newer = new Database(path, { create: true });
    newer.exec("CREATE TABLE devices (x); PRAGMA user_version = 9");
    newer.close();
    expect(() => openStore(path)).toThrow("written by a newer bagtower (schema 9; this one knows 4)");
    const db = new Database(path);
    expect(db.query("SELECT name FROM sqlite_master").all()).toEqual([{ name: "devices" }]);
    db.close();
  });
});
