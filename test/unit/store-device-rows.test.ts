// The devices' rows written behind their records (src/serve/device-rows.ts), on a real SQLite
// file: readers never see a row behind an answered record, the rows reach the file within a
// second by themselves, a crash before that loses no latest value (latest-rebuild.ts), and a
// device back from DOWN comes UP once.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Item } from "../../src/record/schema.ts";
import { createDeviceRows } from "../../src/serve/device-rows.ts";
import { openStore, type IngestRecord, type Store } from "../../src/serve/store.ts";

let dir = "";
let path = "";
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bagtower-device-rows-"));
  path = join(dir, "serve.db");
  store = openStore(path);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const record = (deviceId: string, ts: number, data: Item[], extra: Partial<IngestRecord> = {}): IngestRecord => ({ deviceId, unixTimestamp: ts, data, body: () => "{}", ...extra });
const latestOf = (s: Store, id: string) => Object.fromEntries(s.items(id).map((i) => [i.id, [i.ts, i.latest]]));
/** The row as the file holds it, read on a second connection (no store method, so nothing is written first). */
const rowOnDisk = (id: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.query("SELECT latest, latest_ts, last_seen, hostname FROM devices WHERE id = ?").get(id) as { latest: string; latest_ts: number; last_seen: number; hostname: string | null } | null;
  } finally {
    db.close();
  }
};
/** A copy of the file as a power cut would leave it now: the database and its WAL, nothing written since. */
const crashCopy = () => {
  const copy = join(dir, "copy.db");
  copyFileSync(path, copy);
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
  return copy;
};

const items = (cpu: number, extra: Item[] = []): Item[] => [
  { id: "cpu", type: "percent", val: cpu },
  { id: "load", type: "number", val: [cpu / 10, 1, 2] },
  { id: "network", type: "counter", val: { bytes_sent: cpu * 100, bytes_received: cpu * 200 } },
  { id: "system", type: "string", val: { os: `Debian ${cpu}` } },
  ...extra,
];

describe("device rows written behind", () => {
  test("records are answered before their device's row is written; any reader sees them all", async () => {
    for (let i = 1; i <= 5; i++) await store.ingest([record("pi-01", 100 * i, items(i), { hostname: `host-${i}` })], "10.0.0.1", 1_000_000 + i);
    // Five records, no row write yet (the first one inserted the row, with nothing latest).
    expect(rowOnDisk("pi-01")?.latest_ts).toBe(0);
    // Labels are written with their record: reading them writes no row.
    await store.ingest([record("pi-01", 600, items(6), { labels: { site: "barn" } })], null, 1_000_006);
    expect(store.labels("pi-01")).toEqual({ site: "barn" });
    expect(store.labels("pi-99")).toBeUndefined();
    expect(rowOnDisk("pi-01")?.latest_ts).toBe(0);
    expect(latestOf(store, "pi-01")).toEqual({
      cpu: [600, 6],
      load: [600, [0.6, 1, 2]],
      network: [600, { bytes_sent: 600, bytes_received: 1200 }],
      system: [600, { os: "Debian 6" }],
    });
    expect(store.device("pi-01")?.hostname).toBe("host-5");
    // The reader wrote the row first.
    expect(rowOnDisk("pi-01")).toMatchObject({ latest_ts: 600, hostname: "host-5", last_seen: 1000 });
  });

  test("with nothing reading them, the rows reach the file within a second", async () => {
    await store.ingest([record("pi-01", 100, items(1)), record("pi-02", 100, items(2))], null, Date.now());
    expect(rowOnDisk("pi-01")?.latest_ts).toBe(0);
    await Bun.sleep(1300);
    expect(rowOnDisk("pi-01")?.latest_ts).toBe(100);
    expect(JSON.parse(rowOnDisk("pi-02")!.latest).cpu).toEqual([100, 2]);
  });

  test("a timer write that fails is logged and retried a second later, not in a loop", async () => {
    store.close();
    const lines: string[] = [];
    store = openStore(path, undefined, { log: (line) => lines.push(line) });
    await store.ingest([record("pi-01", 100, items(1))], null, Date.now());
    store.db.exec("CREATE TRIGGER injected BEFORE UPDATE ON devices WHEN NEW.latest_ts > 0 BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    await Bun.sleep(1500);
    expect(lines).toEqual(["writing the devices' rows: injected failure; retried in a second"]);
    store.db.exec("DROP TRIGGER injected");
    await Bun.sleep(1200);
    expect(rowOnDisk("pi-01")?.latest_ts).toBe(100);
    expect(lines).toHaveLength(1);
  });

  test("a crash before the rows are written: the next start puts every latest value back from the head", async () => {
    await store.ingest([record("pi-01", 100, items(1, [{ id: "battery", type: "percent", val: 80 }]))], null, 1_000_000);
    store.devices(); // written: the row knows battery, cpu … at 100
    await store.ingest([record("pi-01", 200, items(2))], null, 1_001_000);
    await store.ingest([record("pi-01", 150, items(9, [{ id: "battery", type: "percent", val: 10 }]))], null, 1_002_000); // late: changes nothing
    await store.ingest([record("pi-01", 300, [{ id: "cpu", type: "percent", val: 3 }])], null, 1_003_000); // only cpu
    await store.ingest([record("pi-02", 400, items(4))], null, 1_004_000); // a device whose row was never written
    const copy = crashCopy();
    expect(rowOnDisk("pi-01")?.latest_ts).toBe(100);
    const expected = {
      battery: [100, 80],
      cpu: [300, 3],
      load: [200, [0.2, 1, 2]],
      network: [200, { bytes_sent: 200, bytes_received: 400 }],
      system: [200, { os: "Debian 2" }],
    };
    expect(latestOf(store, "pi-01")).toEqual(expected);
    const lines: string[] = [];
    const restarted = openStore(copy, undefined, { log: (line) => lines.push(line) });
    try {
      expect(lines).toEqual(["the latest values of 2 device(s) put back from the head (serve stopped before writing their rows)"]);
      expect(latestOf(restarted, "pi-01")).toEqual(expected);
      expect(latestOf(restarted, "pi-02")).toEqual(latestOf(store, "pi-02"));
      // Last seen is at least the newest record's own time (the time it arrived was not written).
      expect(restarted.device("pi-02")!.lastSeen).toBeGreaterThanOrEqual(400);
    } finally {
      restarted.close();
    }
    // Started again after a clean stop: nothing to put back.
    const lines2: string[] = [];
    openStore(copy, undefined, { log: (line) => lines2.push(line) }).close();
    expect(lines2).toEqual([]);
  });

  test("a device back from DOWN comes UP once, however many of its records arrive before its row is written", async () => {
    await store.ingest([record("pi-01", 100, items(1))], null, 100_000);
    expect(store.markDown(100_000).map((d) => d.id)).toEqual(["pi-01"]);
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await store.ingest([record("pi-01", 200 + i, items(2))], null, 100_100_000 + i));
    expect(outcomes.map((o) => o.up)).toEqual([["pi-01"], [], []]);
    expect(store.device("pi-01")?.status).toBe("UP");
  });

  test("a device back from DOWN with a re-sent copy comes UP once, before and after its row is written", async () => {
    await store.ingest([record("pi-01", 100, items(1), { recordId: "rec-1" })], null, 100_000);
    expect(store.markDown(100_000).map((d) => d.id)).toEqual(["pi-01"]);
    const copy = await store.ingest([record("pi-01", 100, items(1), { recordId: "rec-1" })], null, 100_100_000);
    expect([copy.duplicates, copy.up]).toEqual([1, ["pi-01"]]);
    store.devices(); // the row is written: UP
    const next = await store.ingest([record("pi-01", 200, items(2))], null, 100_101_000);
    expect(next.up).toEqual([]);
    // And DOWN again, then back: UP again (the DOWN check forgot the cached row).
    expect(store.markDown(200_000).map((d) => d.id)).toEqual(["pi-01"]);
    expect((await store.ingest([record("pi-01", 300, items(3))], null, 200_001_000)).up).toEqual(["pi-01"]);
  });

  test("the DOWN check sees the touches not written yet: a device that just pushed is not marked DOWN", async () => {
    await store.ingest([record("pi-01", 100, items(1))], null, 100_000);
    store.devices();
    await store.ingest([record("pi-01", 200, items(2))], null, 10_000_000); // seen at 10,000 s, row not written
    expect(store.markDown(10_000)).toEqual([]);
  });

  test("the DOWN check leaves a recent pending touch pending: its device stays UP and its row is not written by the check", async () => {
    await store.ingest([record("pi-01", 100, items(1))], null, 100_000);
    await store.ingest([record("pi-02", 100, items(1))], null, 100_000);
    store.devices(); // both rows written, last seen 100 s
    await store.ingest([record("pi-01", 9_500, items(2))], null, 9_500_000); // seen at 9,500 s, row pending
    // At 10,000 s pi-02 has been silent for 9,900 s (> 2 × 600): DOWN; pi-01 was seen 500 s ago.
    expect(store.markDown(10_000).map((d) => d.id)).toEqual(["pi-02"]);
    expect(rowOnDisk("pi-01")?.last_seen).toBe(100);
    expect(store.device("pi-01")).toMatchObject({ status: "UP", lastSeen: 9_500 });
    expect(rowOnDisk("pi-01")?.last_seen).toBe(9_500); // a reader wrote it
  });

  test("a pending touch that is itself older than twice the period: the rows are written first and the device goes DOWN", async () => {
    await store.ingest([record("pi-01", 100, items(1))], null, 100_000);
    await store.ingest([record("pi-02", 100, items(1))], null, 100_000);
    store.devices(); // both rows written, last seen 100 s
    await store.ingest([record("pi-02", 5_000, items(2))], null, 5_000_000); // pending, seen at 5,000 s
    expect(rowOnDisk("pi-02")?.last_seen).toBe(100);
    expect(store.markDown(10_000).map((d) => d.id).sort()).toEqual(["pi-01", "pi-02"]);
    expect(rowOnDisk("pi-02")).toMatchObject({ last_seen: 5_000 });
    expect(store.device("pi-02")?.status).toBe("DOWN");
  });

  test("a duplicate counts as seen, and changes no value", async () => {
    await store.ingest([record("pi-01", 100, items(1), { recordId: "rec-1" })], null, 100_000);
    const again = await store.ingest([record("pi-01", 100, items(7), { recordId: "rec-1" })], null, 900_000);
    expect(again.duplicates).toBe(1);
    expect(store.device("pi-01")?.lastSeen).toBe(900);
    expect(latestOf(store, "pi-01").cpu).toEqual([100, 1]);
  });
});

describe("the pending rows themselves", () => {
  const table = () => {
    const db = new Database(":memory:");
    db.exec("CREATE TABLE devices (dev INTEGER PRIMARY KEY, last_seen INTEGER, machine_id TEXT, hostname TEXT, address TEXT, status TEXT, agent TEXT, latest TEXT, latest_ts INTEGER)");
    db.exec("CREATE TABLE device_rows_written (one INTEGER PRIMARY KEY, seq INTEGER NOT NULL)");
    db.exec(`INSERT INTO devices VALUES (1, 0, NULL, NULL, NULL, 'DOWN', NULL, '{"cpu":[5,1],"disk":[5,9]}', 5)`);
    return db;
  };
  const row = (db: Database) => db.query("SELECT last_seen, hostname, status, latest, latest_ts FROM devices").get();
  const seen = { nowS: 50, machineId: null, hostname: "a", address: null, agent: null };

  test("a record with every item replaces the latest values; later ones with some are patched on; an older one only counts as seen", () => {
    const db = table();
    const rows = createDeviceRows(db);
    rows.touch(1, 5, seen, 10, ["cpu", "mem"], [2, 3], true, 7);
    rows.touch(1, 5, { ...seen, nowS: 60 }, 20, ["mem"], [4], false, 8);
    rows.touch(1, 5, { ...seen, nowS: 61, hostname: null }, 15, ["cpu"], [9], false, 9);
    expect([rows.has(1), rows.size]).toEqual([true, 1]);
    rows.write();
    expect(row(db)).toEqual({ last_seen: 61, hostname: "a", status: "UP", latest: '{"cpu":[10,2],"mem":[20,4]}', latest_ts: 20 });
    expect(db.query("SELECT seq FROM device_rows_written").get()).toEqual({ seq: 9 });
    expect(rows.size).toBe(0);
    // Only some items, onto the row as written.
    rows.touch(1, 20, seen, 30, ["disk"], [1], false, 10);
    rows.write();
    expect(JSON.parse((row(db) as { latest: string }).latest)).toEqual({ cpu: [10, 2], mem: [20, 4], disk: [30, 1] });
    db.close();
  });

  test("a piece at a time: the oldest first, only those born before the cutoff; the head seq is recorded once none is left", () => {
    const db = table();
    db.exec(`INSERT INTO devices VALUES (2, 0, NULL, NULL, NULL, 'UP', NULL, '{}', 0), (3, 0, NULL, NULL, NULL, 'UP', NULL, '{}', 0)`);
    const rows = createDeviceRows(db);
    for (const dev of [1, 2, 3]) rows.touch(dev, 0, seen, 10 + dev, ["cpu"], [dev], true, 20 + dev);
    const born = rows.oldestMs()!;
    rows.write(2, born + 1_000_000);
    expect(db.query("SELECT dev, latest_ts FROM devices ORDER BY dev").all()).toEqual([{ dev: 1, latest_ts: 11 }, { dev: 2, latest_ts: 12 }, { dev: 3, latest_ts: 0 }]);
    expect(db.query("SELECT seq FROM device_rows_written").get()).toBeNull();
    rows.write(10, born); // none born before it
    expect(rows.size).toBe(1);
    rows.write(10, born + 1_000_000);
    expect(db.query("SELECT seq FROM device_rows_written").get()).toEqual({ seq: 23 });
    expect(rows.oldestMs()).toBeUndefined();
    db.close();
  });

  test("a write that fails keeps every touch pending, and the next one writes them", () => {
    const db = table();
    db.exec(`INSERT INTO devices VALUES (2, 0, NULL, NULL, NULL, 'UP', NULL, '{}', 0)`);
    const rows = createDeviceRows(db);
    for (const dev of [1, 2]) rows.touch(dev, 0, seen, 10 + dev, ["cpu"], [dev], true, 20 + dev);
    db.exec("CREATE TRIGGER injected BEFORE UPDATE ON devices WHEN NEW.dev = 2 BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    expect(() => rows.write()).toThrow("injected failure");
    expect(rows.size).toBe(2);
    expect(db.query("SELECT latest_ts FROM devices WHERE dev = 1").get()).toEqual({ latest_ts: 5 });
    db.exec("DROP TRIGGER injected");
    rows.write();
    expect(db.query("SELECT dev, latest_ts FROM devices ORDER BY dev").all()).toEqual([{ dev: 1, latest_ts: 11 }, { dev: 2, latest_ts: 12 }]);
    expect(db.query("SELECT seq FROM device_rows_written").get()).toEqual({ seq: 22 });
    db.close();
  });

  test("forgotten touches are not written", () => {
    const db = table();
    const rows = createDeviceRows(db);
    rows.touch(1, 5, seen, 10, ["cpu"], [2], true, 7);
    rows.forget();
    expect([rows.has(1), rows.size]).toEqual([false, 0]);
    rows.write();
    expect(row(db)).toEqual({ last_seen: 0, hostname: null, status: "DOWN", latest: '{"cpu":[5,1],"disk":[5,9]}', latest_ts: 5 });
    db.close();
  });
});

describe("a transaction that rolls back", () => {
  test("the touches of the turns before it, not written yet, come back from the head; its own are gone", async () => {
    await store.ingest([record("pi-01", 100, items(1))], null, 1_000_000);
    store.db.exec("CREATE TRIGGER injected BEFORE INSERT ON head WHEN NEW.ts = 999 BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    const failed = store.ingest([record("pi-01", 999, items(9)), record("pi-02", 999, items(9))], null, 1_001_000);
    await expect(failed).rejects.toThrow("injected failure");
    expect(latestOf(store, "pi-01")).toEqual({ cpu: [100, 1], load: [100, [0.1, 1, 2]], network: [100, { bytes_sent: 100, bytes_received: 200 }], system: [100, { os: "Debian 1" }] });
    expect(store.device("pi-02")).toBeUndefined();
    store.db.exec("DROP TRIGGER injected");
    await store.ingest([record("pi-01", 200, items(2))], null, 1_002_000);
    expect(latestOf(store, "pi-01").cpu).toEqual([200, 2]);
  });
});
