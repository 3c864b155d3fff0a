import { Database, type Statement } from "bun:sqlite";
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DEFAULT_PERIOD_S } from "../record/period.ts";
import type { Item } from "../record/schema.ts";
import { HttpError } from "./http-errors.ts";
import { DEFAULT_LIMITS, LimitError, type Limits } from "./limits.ts";
import { prepareSchema } from "./store-schema.ts";

/**
 * The receiver's store (SPEC §9): bun:sqlite in WAL mode. Devices, the raw records (deduplicated
 * by recordId), each device's latest values, its items' shapes, and one row of numeric values per
 * device and time for graphs (store-schema.ts): a record costs a handful of B-tree writes, not one
 * per number. Writes from concurrent requests are grouped into one
 * transaction per event-loop turn; a request is answered only after its transaction committed.
 */

/** How a device was created (store-schema.ts): with the ingest key, or by a keyless pattoo post (--pattoo-open). */
export type DeviceOrigin = "key" | "open";

/** The cardinality caps the store enforces, per request and before it writes anything of it. */
export type StoreCaps = Pick<Limits, "devicesPerKey" | "itemsPerDevice" | "labelsPerDevice">;

/** The fleet API's pages: this many devices unless `?limit=` says otherwise (at most MAX_PAGE). */
export const DEFAULT_PAGE = 500;
export const MAX_PAGE = 1000;

/** Figures over the whole fleet for the monitoring view, computed in SQL (no device list in memory). */
export interface FleetSummary {
  total: number;
  up: number;
  avgCpu: number | null;
  avgMemory: number | null;
  avgFlash: number | null;
  bytesSent: number;
  bytesReceived: number;
}

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

interface _DevRow {
  dev: number;
  status: string;
  period_s: number;
  origin: DeviceOrigin;
}

/** The devices columns a DeviceRow shows (not `latest`, which items() reads). */
const _DEVICE_COLUMNS = "id, machine_id, hostname, labels, period_s, first_seen, last_seen, address, status";

export interface Store {
  /**
   * The database itself, for the receiver's parts that keep tables of their own (alerts, checks):
   * they create them with CREATE TABLE IF NOT EXISTS and never touch the store's tables.
   */
  readonly db: Database;
  /**
   * Stores one request's records in the current turn's transaction. A request over a cap (or a
   * keyless post to a device created with the key) is refused whole, before anything of it is
   * written, without failing the other requests of the turn.
   */
  ingest(records: IngestRecord[], address: string | null, nowMs: number, origin?: DeviceOrigin): Promise<IngestOutcome>;
  devices(): DeviceRow[];
  /** Devices in id order after `after` (a cursor: the last id of the previous page). */
  devicesPage(limit: number, after?: string): DeviceRow[];
  fleetSummary(): FleetSummary;
  /** A page of devices (as devicesPage) with their numeric items' types and latest values, in one query: for /metrics. */
  numericLatestPage(limit: number, after?: string): { device: DeviceRow; items: { id: string; type: string; latest: unknown }[] }[];
  /** UP devices silent for more than twice their period become DOWN, in one statement (one commit). */
  markDown(nowS: number): { id: string; lastSeen: number }[];
  device(id: string): DeviceRow | undefined;
  items(id: string): ItemRow[];
  series(id: string, item: string, fromS: number, toS: number): { key: string; ts: number; value: number }[];
  updateDevice(id: string, change: { periodSeconds?: number; labels?: Record<string, string> }): DeviceRow | undefined;
  /** Deletes records and points before `cutoffS`, one device at a time, yielding to requests in between. */
  deleteOlderThan(cutoffS: number): Promise<number>;
  counts(): { devices: number; records: number };
  /** Records after `seq` in arrival order, for forwarding. */
  recordsAfter(seq: number, limit: number): { seq: number; body: string }[];
  forwardCursor(name: string): number;
  setForwardCursor(name: string, seq: number): void;
  close(): void;
}

export function openStore(path: string, caps: StoreCaps = DEFAULT_LIMITS): Store {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path, { create: true, strict: true });
  if (path !== ":memory:") chmodSync(path, 0o600);
  db.exec("PRAGMA journal_mode = WAL");
  // FULL: a record is acknowledged only after its commit is on disk (SPEC §9).
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA busy_timeout = 5000");
  prepareSchema(db);

  const q = {
    deviceByIdRow: db.query<_DevRow, [string]>("SELECT dev, status, period_s, origin FROM devices WHERE id = ?"),
    labelsOf: db.query<{ labels: string }, [number]>("SELECT labels FROM devices WHERE dev = ?"),
    insertDevice: db.query("INSERT INTO devices (id, machine_id, hostname, period_s, first_seen, last_seen, address, status, origin) VALUES (?, ?, ?, ?, ?, ?, ?, 'UP', ?) RETURNING dev"),
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

  // Devices per origin, kept beside the table so the cap costs no count(*) per request.
  let deviceCount: Record<DeviceOrigin, number> = { key: 0, open: 0 };
  const _countDevices = () => {
    deviceCount = { key: 0, open: 0 };
    for (const row of db.query("SELECT origin, count(*) AS n FROM devices GROUP BY origin").all() as { origin: DeviceOrigin; n: number }[]) deviceCount[row.origin] = row.n;
  };
  _countDevices();

  /**
   * The request's devices (null: new), once the caps allow it: devices per key, items per device,
   * labels per device. Reads only, so a refusal leaves nothing behind.
   */
  function _admit(records: IngestRecord[], origin: DeviceOrigin): Map<string, _DevRow | null> {
    const devices = new Map<string, _DevRow | null>();
    let created = 0;
    for (const r of records) {
      if (devices.has(r.deviceId)) continue;
      const dev = q.deviceByIdRow.get(r.deviceId);
      if (dev && origin === "open" && dev.origin !== "open") {
        throw new HttpError(403, `device ${r.deviceId} was created with the ingest key: a keyless pattoo post (--pattoo-open) cannot write to it; send x-api-key`);
      }
      devices.set(r.deviceId, dev);
      if (!dev) created++;
    }
    if (created > 0 && deviceCount[origin] + created > caps.devicesPerKey) {
      const who = origin === "open" ? "keyless pattoo agents (--pattoo-open)" : "the ingest key";
      throw new LimitError(429, "devicesPerKey", `${created} new device(s) would make more than ${caps.devicesPerKey} devices for ${who}, the limit (serve --max-devices)`);
    }
    // Items and labels: only the records that bring something new cost more than a lookup.
    const newItems = new Map<string, Set<string>>();
    const newLabels = new Map<string, Set<string>>();
    for (const r of records) {
      const dev = devices.get(r.deviceId)!;
      const shapes = dev ? _shapesOf(dev.dev) : undefined;
      for (const item of r.data) {
        if (shapes?.has(item.id)) continue;
        let ids = newItems.get(r.deviceId);
        if (!ids) newItems.set(r.deviceId, (ids = new Set()));
        ids.add(item.id);
        if ((shapes?.size ?? 0) + ids.size > caps.itemsPerDevice) {
          throw new LimitError(422, "itemsPerDevice", `device ${r.deviceId}: item ${item.id} would be more than ${caps.itemsPerDevice} items, the limit per device (serve --max-items)`);
        }
      }
      if (!r.labels) continue;
      let names = newLabels.get(r.deviceId);
      if (!names) newLabels.set(r.deviceId, (names = new Set(dev ? Object.keys(JSON.parse(q.labelsOf.get(dev.dev)!.labels) as object) : [])));
      for (const name in r.labels) names.add(name);
      if (names.size > caps.labelsPerDevice) {
        throw new LimitError(422, "labelsPerDevice", `device ${r.deviceId}: ${names.size} labels, over the limit of ${caps.labelsPerDevice} per device (serve --max-labels)`);
      }
    }
    return devices;
  }

  function _shapesOf(dev: number): Map<string, _KnownShape> {
    let shapes = described.get(dev);
    if (!shapes) described.set(dev, (shapes = _storedShapes(dev)));
    return shapes;
  }

  function _apply(records: IngestRecord[], address: string | null, nowMs: number, origin: DeviceOrigin): IngestOutcome {
    const known = _admit(records, origin);
    const out: IngestOutcome = { accepted: 0, duplicates: 0, up: [], stored: [], periodSeconds: DEFAULT_PERIOD_S };
    const nowS = Math.floor(nowMs / 1000);
    for (const r of records) {
      let dev = known.get(r.deviceId);
      if (!dev) {
        const inserted = q.insertDevice.get(r.deviceId, r.machineId ?? null, r.hostname ?? null, DEFAULT_PERIOD_S, nowS, nowS, address, origin) as { dev: number };
        dev = { dev: inserted.dev, status: "UP", period_s: DEFAULT_PERIOD_S, origin };
        known.set(r.deviceId, dev);
        deviceCount[origin]++;
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
      const shapes = _shapesOf(dev.dev);
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
  let pending: { records: IngestRecord[]; address: string | null; nowMs: number; origin: DeviceOrigin; resolve: (o: IngestOutcome) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  // A refused request (an HttpError from _admit, before its writes) fails alone; anything else rolls the turn back.
  const transaction = db.transaction((batch: typeof pending) =>
    batch.map((p) => {
      try {
        return _apply(p.records, p.address, p.nowMs, p.origin);
      } catch (error) {
        if (error instanceof HttpError) return error;
        throw error;
      }
    }),
  );
  function _flush(): void {
    scheduled = false;
    const batch = pending;
    pending = [];
    try {
      const outcomes = transaction(batch);
      batch.forEach((p, i) => {
        const outcome = outcomes[i]!;
        if (outcome instanceof HttpError) p.reject(outcome);
        else p.resolve(outcome);
      });
    } catch (error) {
      described.clear(); // the transaction rolled back: the table may hold less than the map says
      _countDevices();
      for (const p of batch) p.reject(error);
    }
  }

  return {
    db,
    ingest(records, address, nowMs, origin = "key") {
      return new Promise((resolve, reject) => {
        pending.push({ records, address, nowMs, origin, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(_flush);
        }
      });
    },
    devices: () => (db.query(`SELECT ${_DEVICE_COLUMNS} FROM devices ORDER BY id`).all() as Record<string, unknown>[]).map(_device),
    devicesPage: (limit, after = "") => (db.query(`SELECT ${_DEVICE_COLUMNS} FROM devices WHERE id > ? ORDER BY id LIMIT ?`).all(after, limit) as Record<string, unknown>[]).map(_device),
    numericLatestPage(limit, after = "") {
      const rows = db
        .query(
          `SELECT ${_DEVICE_COLUMNS}, latest, (SELECT json_group_array(json_array(item, type)) FROM items i WHERE i.dev = devices.dev AND i.type != 'string') AS types ` +
            "FROM devices WHERE id > ? ORDER BY id LIMIT ?",
        )
        .all(after, limit) as Record<string, unknown>[];
      return rows.map((row) => {
        const latest = JSON.parse(row.latest as string) as Record<string, [number, unknown]>;
        const types = JSON.parse(row.types as string) as [string, string][];
        return { device: _device(row), items: types.map(([id, type]) => ({ id, type, latest: latest[id]?.[1] ?? null })) };
      });
    },
    fleetSummary() {
      const num = (path: string) => `CASE WHEN json_type(latest, '${path}') IN ('integer', 'real') THEN json_extract(latest, '${path}') END`;
      return db
        .query(
          `SELECT count(*) AS total, coalesce(sum(status = 'UP'), 0) AS up, avg(${num("$.cpu[1]")}) AS avgCpu, avg(${num("$.memory[1]")}) AS avgMemory, ` +
            `avg(coalesce(${num("$.diskusage[1]")}, ${num('$.filesystems[1]."/"')})) AS avgFlash, ` +
            `coalesce(sum(${num("$.network[1].bytes_sent")}), 0) AS bytesSent, coalesce(sum(${num("$.network[1].bytes_received")}), 0) AS bytesReceived FROM devices`,
        )
        .get() as FleetSummary;
    },
    markDown(nowS) {
      return db
        .query("UPDATE devices SET status = 'DOWN' WHERE status = 'UP' AND ? - last_seen > 2 * period_s RETURNING id, last_seen AS lastSeen")
        .all(nowS) as { id: string; lastSeen: number }[];
    },
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
