import { Database, type Statement } from "bun:sqlite";
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Item } from "../record/schema.ts";

/**
 * The receiver's store (SPEC §9): bun:sqlite in WAL mode. Devices, the raw records (deduplicated
 * by recordId), every item's latest value, and the numeric series flattened for graphs as
 * (device, item, key, time, value). Writes from concurrent requests are grouped into one
 * transaction per event-loop turn; a request is answered only after its transaction committed.
 */

export const DEFAULT_PERIOD_S = 600;

export interface DeviceRow {
  id: string;
  machineId: string | null;
  hostname: string | null;
  labels: Record<string, string>;
  periodSeconds: number;
  firstSeen: number;
  lastSeen: number;
  address: string | null;
  status: "UP" | "DOWN";
}

export interface ItemRow {
  id: string;
  type: string;
  shape: "scalar" | "array" | "object" | "string";
  keys: string[];
  latest: unknown;
  ts: number;
}

/** One record to store, already validated; `deviceId` resolved (deviceId or machine id). */
export interface IngestRecord {
  deviceId: string;
  recordId?: string;
  machineId?: string;
  hostname?: string;
  unixTimestamp: number;
  data: Item[];
  /** records.body: the record's JSON in bagtower's shape (what forwarding sends on). */
  body: string;
  /** records.payload: the request's payload as sent, when it is not bagtower JSON (telemetrics). */
  payload?: string;
  /** Merged into the device's labels (pattoo metadata, Datadog and Influx tags). */
  labels?: Record<string, string>;
}

export interface IngestOutcome {
  accepted: number;
  duplicates: number;
  /** Devices seen for the first time, or back from DOWN. */
  up: string[];
  stored: IngestRecord[];
}

const _SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  dev INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  machine_id TEXT,
  hostname TEXT,
  labels TEXT NOT NULL DEFAULT '{}',
  period_s INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  address TEXT,
  status TEXT NOT NULL DEFAULT 'UP'
);
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  record_id TEXT UNIQUE,
  dev INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  received INTEGER NOT NULL,
  body TEXT NOT NULL,
  payload TEXT
);
CREATE INDEX IF NOT EXISTS records_dev_ts ON records (dev, ts);
CREATE INDEX IF NOT EXISTS records_ts ON records (ts);
CREATE TABLE IF NOT EXISTS items (
  dev INTEGER NOT NULL,
  item TEXT NOT NULL,
  type TEXT NOT NULL,
  shape TEXT NOT NULL,
  keys TEXT NOT NULL,
  latest TEXT NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (dev, item)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series (
  dev INTEGER NOT NULL,
  item TEXT NOT NULL,
  key TEXT NOT NULL,
  ts INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (dev, item, key, ts)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS series_ts ON series (ts);
CREATE TABLE IF NOT EXISTS forward_cursor (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
`;

function _shape(item: Item): ItemRow["shape"] {
  if (item.type === "string") return "string";
  if (typeof item.val === "number") return "scalar";
  return Array.isArray(item.val) ? "array" : "object";
}

function _keys(item: Item): string[] {
  if (typeof item.val !== "object" || item.val === null) return [];
  return Array.isArray(item.val) ? item.val.map((_, i) => String(i)) : Object.keys(item.val);
}

export interface Store {
  ingest(records: IngestRecord[], address: string | null, nowMs: number): Promise<IngestOutcome>;
  devices(): DeviceRow[];
  device(id: string): DeviceRow | undefined;
  items(id: string): ItemRow[];
  series(id: string, item: string, fromS: number, toS: number): { key: string; ts: number; value: number }[];
  updateDevice(id: string, change: { periodSeconds?: number; labels?: Record<string, string> }): DeviceRow | undefined;
  setStatus(id: string, status: "UP" | "DOWN"): void;
  deleteOlderThan(cutoffS: number): number;
  counts(): { devices: number; records: number };
  /** Records after `seq` in arrival order, for forwarding. */
  recordsAfter(seq: number, limit: number): { seq: number; body: string }[];
  forwardCursor(name: string): number;
  setForwardCursor(name: string, seq: number): void;
  close(): void;
}

export function openStore(path: string): Store {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path, { create: true, strict: true });
  if (path !== ":memory:") chmodSync(path, 0o600);
  db.exec("PRAGMA journal_mode = WAL");
  // FULL: a record is acknowledged only after its commit is on disk (SPEC §9).
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec(_SCHEMA);

  const q = {
    deviceByIdRow: db.query<{ dev: number; status: string; period_s: number }, [string]>("SELECT dev, status, period_s FROM devices WHERE id = ?"),
    insertDevice: db.query("INSERT INTO devices (id, machine_id, hostname, period_s, first_seen, last_seen, address, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'UP') RETURNING dev"),
    touchDevice: db.query("UPDATE devices SET last_seen = max(last_seen, ?), machine_id = coalesce(?, machine_id), hostname = coalesce(?, hostname), address = coalesce(?, address), status = 'UP' WHERE dev = ?"),
    mergeLabels: db.query("UPDATE devices SET labels = json_patch(labels, ?) WHERE dev = ?"),
    insertRecord: db.query("INSERT OR IGNORE INTO records (record_id, dev, ts, received, body, payload) VALUES (?, ?, ?, ?, ?, ?)"),
    upsertItem: db.query(
      "INSERT INTO items (dev, item, type, shape, keys, latest, ts) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dev, item) DO UPDATE SET type = excluded.type, shape = excluded.shape, keys = excluded.keys, latest = excluded.latest, ts = excluded.ts WHERE excluded.ts >= items.ts",
    ),
    insertPoint: db.query("INSERT OR REPLACE INTO series (dev, item, key, ts, value) VALUES (?, ?, ?, ?, ?)"),
  } satisfies Record<string, Statement>;

  const _device = (row: Record<string, unknown>): DeviceRow => ({
    id: row.id as string,
    machineId: (row.machine_id as string | null) ?? null,
    hostname: (row.hostname as string | null) ?? null,
    labels: JSON.parse(row.labels as string) as Record<string, string>,
    periodSeconds: row.period_s as number,
    firstSeen: row.first_seen as number,
    lastSeen: row.last_seen as number,
    address: (row.address as string | null) ?? null,
    status: row.status as "UP" | "DOWN",
  });

  function _apply(records: IngestRecord[], address: string | null, nowMs: number): IngestOutcome {
    const out: IngestOutcome = { accepted: 0, duplicates: 0, up: [], stored: [] };
    const nowS = Math.floor(nowMs / 1000);
    for (const r of records) {
      let dev = q.deviceByIdRow.get(r.deviceId);
      if (!dev) {
        const inserted = q.insertDevice.get(r.deviceId, r.machineId ?? null, r.hostname ?? null, DEFAULT_PERIOD_S, nowS, nowS, address) as { dev: number };
        dev = { dev: inserted.dev, status: "UP", period_s: DEFAULT_PERIOD_S };
        out.up.push(r.deviceId);
      } else if (dev.status === "DOWN" && !out.up.includes(r.deviceId)) {
        out.up.push(r.deviceId);
      }
      const result = q.insertRecord.run(r.recordId ?? null, dev.dev, r.unixTimestamp, nowS, r.body, r.payload ?? null);
      q.touchDevice.run(nowS, r.machineId ?? null, r.hostname ?? null, address, dev.dev);
      if (r.labels && Object.keys(r.labels).length > 0) q.mergeLabels.run(JSON.stringify(r.labels), dev.dev);
      if (result.changes === 0) {
        out.duplicates++;
        continue;
      }
      out.accepted++;
      out.stored.push(r);
      for (const item of r.data) {
        q.upsertItem.run(dev.dev, item.id, item.type, _shape(item), JSON.stringify(_keys(item)), JSON.stringify(item.val), r.unixTimestamp);
        if (item.type === "string") continue;
        const { val } = item;
        if (typeof val === "number") q.insertPoint.run(dev.dev, item.id, "", r.unixTimestamp, val);
        else if (Array.isArray(val)) val.forEach((v, i) => q.insertPoint.run(dev.dev, item.id, String(i), r.unixTimestamp, v));
        else for (const [key, v] of Object.entries(val)) q.insertPoint.run(dev.dev, item.id, key, r.unixTimestamp, v);
      }
    }
    return out;
  }

  // Group the writes of one event-loop turn into one transaction (one fsync for many requests).
  let pending: { records: IngestRecord[]; address: string | null; nowMs: number; resolve: (o: IngestOutcome) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  const transaction = db.transaction((batch: typeof pending) => batch.map((p) => _apply(p.records, p.address, p.nowMs)));
  function _flush(): void {
    scheduled = false;
    const batch = pending;
    pending = [];
    try {
      const outcomes = transaction(batch);
      batch.forEach((p, i) => p.resolve(outcomes[i]!));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  return {
    ingest(records, address, nowMs) {
      return new Promise((resolve, reject) => {
        pending.push({ records, address, nowMs, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(_flush);
        }
      });
    },
    devices: () => (db.query("SELECT * FROM devices ORDER BY id").all() as Record<string, unknown>[]).map(_device),
    device(id) {
      const row = db.query("SELECT * FROM devices WHERE id = ?").get(id) as Record<string, unknown> | null;
      return row ? _device(row) : undefined;
    },
    items(id) {
      const rows = db
        .query("SELECT i.item, i.type, i.shape, i.keys, i.latest, i.ts FROM items i JOIN devices d ON d.dev = i.dev WHERE d.id = ? ORDER BY i.item")
        .all(id) as Record<string, unknown>[];
      return rows.map((r) => ({
        id: r.item as string,
        type: r.type as string,
        shape: r.shape as ItemRow["shape"],
        keys: JSON.parse(r.keys as string) as string[],
        latest: JSON.parse(r.latest as string) as unknown,
        ts: r.ts as number,
      }));
    },
    series(id, item, fromS, toS) {
      return db
        .query("SELECT s.key, s.ts, s.value FROM series s JOIN devices d ON d.dev = s.dev WHERE d.id = ? AND s.item = ? AND s.ts BETWEEN ? AND ? ORDER BY s.key, s.ts")
        .all(id, item, fromS, toS) as { key: string; ts: number; value: number }[];
    },
    updateDevice(id, change) {
      if (change.periodSeconds !== undefined) db.query("UPDATE devices SET period_s = ? WHERE id = ?").run(change.periodSeconds, id);
      if (change.labels !== undefined) db.query("UPDATE devices SET labels = ? WHERE id = ?").run(JSON.stringify(change.labels), id);
      return this.device(id);
    },
    setStatus(id, status) {
      db.query("UPDATE devices SET status = ? WHERE id = ?").run(status, id);
    },
    deleteOlderThan(cutoffS) {
      const series = db.query("DELETE FROM series WHERE ts < ?").run(cutoffS).changes;
      const records = db.query("DELETE FROM records WHERE ts < ?").run(cutoffS).changes;
      return series + records;
    },
    counts() {
      const devices = (db.query("SELECT count(*) AS n FROM devices").get() as { n: number }).n;
      const records = (db.query("SELECT count(*) AS n FROM records").get() as { n: number }).n;
      return { devices, records };
    },
    recordsAfter: (seq, limit) => db.query("SELECT seq, body FROM records WHERE seq > ? ORDER BY seq LIMIT ?").all(seq, limit) as { seq: number; body: string }[],
    forwardCursor: (name) => (db.query("SELECT seq FROM forward_cursor WHERE name = ?").get(name) as { seq: number } | null)?.seq ?? 0,
    setForwardCursor: (name, seq) => {
      db.query("INSERT INTO forward_cursor (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq").run(name, seq);
    },
    close: () => db.close(),
  };
}
