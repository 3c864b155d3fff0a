import { Database, type Statement } from "bun:sqlite";
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Item } from "../record/schema.ts";
import { prepareSchema } from "./store-schema.ts";

/**
 * The receiver's store (SPEC §9): bun:sqlite in WAL mode. Devices, the raw records (deduplicated
 * by recordId), each device's latest values, its items' shapes, and one row of numeric values per
 * device and time for graphs (store-schema.ts): a record costs a handful of B-tree writes, not one
 * per number. Writes from concurrent requests are grouped into one
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
  /** The push period of the first record's device: what the reply to a device carries. */
  periodSeconds: number;
}

function _shape(item: Item): ItemRow["shape"] {
  if (item.type === "string") return "string";
  if (typeof item.val === "number") return "scalar";
  return Array.isArray(item.val) ? "array" : "object";
}

function _keys(item: Item): string[] {
  if (typeof item.val !== "object" || item.val === null) return [];
  return Array.isArray(item.val) ? item.val.map((_, i) => String(i)) : Object.keys(item.val);
}

/** What the items table holds for an item (its keys: an array's length, or an object's keys): rewritten only when this changes. */
interface _KnownShape {
  type: string;
  shape: string;
  keys: number | string[] | null;
}

function _knownShape(item: Item, shape: string): _KnownShape {
  const val = item.val;
  return { type: item.type, shape, keys: typeof val !== "object" || val === null ? null : Array.isArray(val) ? val.length : Object.keys(val) };
}

/** Compared in place, without building anything: this runs for every item of every record. */
function _sameShape(known: _KnownShape | undefined, item: Item, shape: string): boolean {
  if (!known || known.type !== item.type || known.shape !== shape) return false;
  const val = item.val;
  if (typeof val !== "object" || val === null) return known.keys === null;
  if (Array.isArray(val)) return known.keys === val.length;
  const keys = known.keys;
  if (!Array.isArray(keys)) return false;
  let i = 0;
  for (const key in val) if (keys[i++] !== key) return false;
  return i === keys.length;
}

/** The devices columns a DeviceRow shows (not `latest`, which items() reads). */
const _DEVICE_COLUMNS = "id, machine_id, hostname, labels, period_s, first_seen, last_seen, address, status";

export interface Store {
  ingest(records: IngestRecord[], address: string | null, nowMs: number): Promise<IngestOutcome>;
  devices(): DeviceRow[];
  device(id: string): DeviceRow | undefined;
  items(id: string): ItemRow[];
  series(id: string, item: string, fromS: number, toS: number): { key: string; ts: number; value: number }[];
  updateDevice(id: string, change: { periodSeconds?: number; labels?: Record<string, string> }): DeviceRow | undefined;
  setStatus(id: string, status: "UP" | "DOWN"): void;
  /** Deletes records and points before `cutoffS`, one device at a time, yielding to requests in between. */
  deleteOlderThan(cutoffS: number): Promise<number>;
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
  prepareSchema(db);

  const q = {
    deviceByIdRow: db.query<{ dev: number; status: string; period_s: number }, [string]>("SELECT dev, status, period_s FROM devices WHERE id = ?"),
    insertDevice: db.query("INSERT INTO devices (id, machine_id, hostname, period_s, first_seen, last_seen, address, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'UP') RETURNING dev"),
    // Seen now, and the record's items ({item: [ts, val]}, or null for a duplicate) over the latest
    // ones: an item missing from it keeps its value (?8 = 0: patched in); a record with every item
    // the device has replaces them (?8 = 1: no JSON to parse); a late, older record leaves them.
    touchDevice: db.query(
      "UPDATE devices SET last_seen = max(last_seen, ?1), machine_id = coalesce(?2, machine_id), hostname = coalesce(?3, hostname), address = coalesce(?4, address), status = 'UP', " +
        "latest = CASE WHEN ?5 IS NULL OR ?6 < latest_ts THEN latest WHEN ?8 THEN ?5 ELSE json_patch(latest, ?5) END, latest_ts = CASE WHEN ?5 IS NOT NULL THEN max(latest_ts, ?6) ELSE latest_ts END WHERE dev = ?7",
    ),
    mergeLabels: db.query("UPDATE devices SET labels = json_patch(labels, ?) WHERE dev = ?"),
    insertRecord: db.query("INSERT OR IGNORE INTO records (record_id, dev, ts, received, body, payload) VALUES (?, ?, ?, ?, ?, ?)"),
    itemsOf: db.query<{ item: string; type: string; shape: string; keys: string }, [number]>("SELECT item, type, shape, keys FROM items WHERE dev = ?"),
    upsertItem: db.query("INSERT INTO items (dev, item, type, shape, keys) VALUES (?, ?, ?, ?, ?) ON CONFLICT (dev, item) DO UPDATE SET type = excluded.type, shape = excluded.shape, keys = excluded.keys"),
    upsertPoints: db.query("INSERT INTO points (dev, ts, vals) VALUES (?, ?, jsonb(?)) ON CONFLICT (dev, ts) DO UPDATE SET vals = jsonb_patch(vals, excluded.vals)"),
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

  // Which item shapes the items table already holds, so a record rewrites only what changed
  // (and knows whether it carries every item its device has: then its values replace the latest).
  const described = new Map<number, Map<string, _KnownShape>>();
  const _storedShapes = (dev: number): Map<string, _KnownShape> => {
    const shapes = new Map<string, _KnownShape>();
    for (const row of q.itemsOf.all(dev)) {
      const keys = JSON.parse(row.keys) as string[];
      // As _knownShape has it: an array's length, an object's keys (text items: their keys if a table of text).
      const known = row.shape === "array" ? keys.length : row.shape === "object" || keys.length > 0 ? keys : null;
      shapes.set(row.item, { type: row.type, shape: row.shape, keys: known });
    }
    return shapes;
  };

  function _apply(records: IngestRecord[], address: string | null, nowMs: number): IngestOutcome {
    const out: IngestOutcome = { accepted: 0, duplicates: 0, up: [], stored: [], periodSeconds: DEFAULT_PERIOD_S };
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
      if (r === records[0]) out.periodSeconds = dev.period_s;
      const result = q.insertRecord.run(r.recordId ?? null, dev.dev, r.unixTimestamp, nowS, r.body, r.payload ?? null);
      if (r.labels && Object.keys(r.labels).length > 0) q.mergeLabels.run(JSON.stringify(r.labels), dev.dev);
      if (result.changes === 0) {
        q.touchDevice.run(nowS, r.machineId ?? null, r.hostname ?? null, address, null, r.unixTimestamp, dev.dev, 0);
        out.duplicates++;
        continue;
      }
      out.accepted++;
      out.stored.push(r);
      // Item ids are letters, digits and _.:- (record/schema.ts): quoted as they are, they are JSON keys.
      let latest = "";
      let numbers = "";
      let shapes = described.get(dev.dev);
      if (!shapes) described.set(dev.dev, (shapes = _storedShapes(dev.dev)));
      for (const item of r.data) {
        const shape = _shape(item);
        if (!_sameShape(shapes.get(item.id), item, shape)) {
          q.upsertItem.run(dev.dev, item.id, item.type, shape, JSON.stringify(_keys(item)));
          shapes.set(item.id, _knownShape(item, shape));
        }
        const val = JSON.stringify(item.val);
        latest += `,"${item.id}":[${r.unixTimestamp},${val}]`;
        if (shape !== "string") numbers += `,"${item.id}":${val}`;
      }
      const complete = shapes.size === r.data.length ? 1 : 0; // item ids are unique within a record
      q.touchDevice.run(nowS, r.machineId ?? null, r.hostname ?? null, address, `{${latest.slice(1)}}`, r.unixTimestamp, dev.dev, complete);
      if (numbers) q.upsertPoints.run(dev.dev, r.unixTimestamp, `{${numbers.slice(1)}}`);
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
      described.clear(); // the transaction rolled back: the table may hold less than the map says
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
    devices: () => (db.query(`SELECT ${_DEVICE_COLUMNS} FROM devices ORDER BY id`).all() as Record<string, unknown>[]).map(_device),
    device(id) {
      const row = db.query(`SELECT ${_DEVICE_COLUMNS} FROM devices WHERE id = ?`).get(id) as Record<string, unknown> | null;
      return row ? _device(row) : undefined;
    },
    items(id) {
      const device = db.query("SELECT dev, latest FROM devices WHERE id = ?").get(id) as { dev: number; latest: string } | null;
      if (!device) return [];
      const latest = JSON.parse(device.latest) as Record<string, [number, unknown]>;
      const rows = db.query("SELECT item, type, shape, keys FROM items WHERE dev = ? ORDER BY item").all(device.dev) as Record<string, string>[];
      return rows.map((r) => ({
        id: r.item!,
        type: r.type!,
        shape: r.shape as ItemRow["shape"],
        keys: JSON.parse(r.keys!) as string[],
        latest: latest[r.item!]?.[1] ?? null,
        ts: latest[r.item!]?.[0] ?? 0,
      }));
    },
    series(id, item, fromS, toS) {
      // Item ids are letters, digits and _.:- (record/schema.ts), so the quoted path needs no escaping.
      const rows = db
        .query("SELECT p.ts, p.vals -> ? AS val FROM points p JOIN devices d ON d.dev = p.dev WHERE d.id = ? AND p.ts BETWEEN ? AND ? AND val IS NOT NULL ORDER BY p.ts")
        .all(`$."${item}"`, id, fromS, toS) as { ts: number; val: string }[];
      const out: { key: string; ts: number; value: number }[] = [];
      for (const { ts, val } of rows) {
        const parsed = JSON.parse(val) as number | number[] | Record<string, number>;
        if (typeof parsed === "number") out.push({ key: "", ts, value: parsed });
        else for (const [key, value] of Object.entries(parsed)) out.push({ key, ts, value });
      }
      return out;
    },
    updateDevice(id, change) {
      if (change.periodSeconds !== undefined) db.query("UPDATE devices SET period_s = ? WHERE id = ?").run(change.periodSeconds, id);
      if (change.labels !== undefined) db.query("UPDATE devices SET labels = ? WHERE id = ?").run(JSON.stringify(change.labels), id);
      return this.device(id);
    },
    setStatus(id, status) {
      db.query("UPDATE devices SET status = ? WHERE id = ?").run(status, id);
    },
    async deleteOlderThan(cutoffS) {
      // Device by device, along the (dev, ts) keys (no index on time alone to keep up on every
      // write), with a turn of the event loop between devices: a first run after a long stop can
      // have hundreds of thousands of rows to delete, and ingest must not wait for all of them.
      let removed = 0;
      const points = db.query("DELETE FROM points WHERE dev = ? AND ts < ?");
      const records = db.query("DELETE FROM records WHERE dev = ? AND ts < ?");
      for (const { dev } of db.query("SELECT dev FROM devices").all() as { dev: number }[]) {
        removed += points.run(dev, cutoffS).changes + records.run(dev, cutoffS).changes;
        await new Promise((resolve) => setImmediate(resolve));
      }
      return removed;
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
