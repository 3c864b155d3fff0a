import { Database, type Statement } from "bun:sqlite";
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "../posix-path.ts";
import { DEFAULT_PERIOD_S } from "../record/period.ts";
import type { Item } from "../record/schema.ts";
import { createDeviceRows } from "./device-rows.ts";
import { HttpError } from "./http-errors.ts";
import { rebuildLatest } from "./latest-rebuild.ts";
import { PAYLOAD_ITEM, RECORD_ITEM } from "./store-items.ts";
import { sameJson } from "./same-json.ts";
import { DEFAULT_LIMITS, LimitError, type Limits } from "./limits.ts";
import { migrateToChunks } from "./store-migrate.ts";
import { prepareSchema } from "./store-schema.ts";
import { createWalSync } from "./wal-sync.ts";
import { CHUNK_MIN_SAMPLES, createChunkStore, type Cutoffs, type RollupSeconds } from "./tsdb/chunk-store.ts";
import { decodeChunk } from "./tsdb/chunk.ts";
import { CorruptChunkError } from "./tsdb/errors.ts";
import { decodeHeadRow, encodeHeadRow } from "./tsdb/head-row.ts";
import { recordIdHash } from "./tsdb/record-id-hash.ts";
import { mergeByTime } from "./tsdb/merge-by-time.ts";
import { aggregateToStep, rollUp, type Bucket } from "./tsdb/rollup.ts";
import { DEFAULT_RETENTION, pickTier, type Retention, type Tier } from "./tsdb/tiers.ts";

/**
 * The receiver's store (SPEC §9, docs/TSDB.md): a time-series engine on one bun:sqlite file in WAL
 * mode. An accepted record costs an append to the head log (its numbers, a few bytes each), its
 * device's row (latest values: written behind, at most once a second, device-rows.ts) and, with
 * forward targets, its body in the outbox: a request is
 * answered only after that is committed and fsynced, and the writes of concurrent requests are
 * grouped into one transaction per event-loop turn, or per fsync while one is in flight. A background seal (seal()) moves the head into compressed chunks
 * per series with their 5-minute and 1-hour rollups, device by device, between requests.
 * Deduplication keeps only a hash of each recordId, as the value of the device's record series.
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
  /** meta.agent of the device's latest record (`bagtower/0.1.0`), when its format says. */
  agent: string | null;
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
  /** The sender (meta.agent, or the protocol's client name). */
  agent?: string;
  unixTimestamp: number;
  data: Item[];
  /**
   * The record's JSON in bagtower's shape (what forwarding sends on), made only when asked: the
   * store keeps it only for forward targets (the outbox), and serialising costs as much as storing.
   */
  body: () => string;
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
  return item.type === "string" ? "string" : _numericShape(item.val);
}

/** A numeric item's value as the items table names its shape. */
function _numericShape(val: unknown): Exclude<ItemRow["shape"], "string"> {
  if (typeof val === "number") return "scalar";
  return Array.isArray(val) ? "array" : "object";
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
  /** A numeric item's series ids in the order of its keys (a scalar: one), found on first use. */
  sids?: number[];
}

function _sameItemIds(ids: readonly string[], items: readonly Item[]): boolean {
  if (ids.length !== items.length) return false;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== items[i]!.id) return false;
  return true;
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
  latest_ts: number;
}

/** The devices columns a DeviceRow shows (not `latest`, which items() reads). */
const _DEVICE_COLUMNS = "id, machine_id, hostname, labels, period_s, first_seen, last_seen, address, status, agent";

/** A series graph's rows: raw samples, or a rollup tier's buckets (value: the average, a counter's last). */
export interface GraphRow {
  key: string;
  ts: number;
  value: number;
  min?: number;
  max?: number;
}

export interface Graph {
  tier: Tier;
  /** Seconds between rows (0 for raw samples: the device's own period). */
  stepS: number;
  rows: GraphRow[];
}

export interface StoreOptions {
  /** How long each tier is kept (tsdb/tiers.ts). */
  retention?: Retention;
  /** Record ids are kept at least this long, whatever the raw tier's retention (default 7 days, the agents' spool expiry). */
  dedupWindowS?: number;
  /** The forward targets' names: with any, every accepted body is kept in the outbox until all of them sent it. */
  forwardTargets?: string[];
  /** One line for the log: migration progress, a corrupt chunk. */
  log?: (line: string) => void;
}

export interface StoreStats {
  /** Records in the head, not sealed into chunks yet. */
  headRecords: number;
}

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
  /** A device's labels (written with their record, never behind it: no pending row is written first). */
  labels(id: string): Record<string, string> | undefined;
  items(id: string): ItemRow[];
  /** An item's raw samples in [fromS, toS], in time order. */
  series(id: string, item: string, fromS: number, toS: number): { key: string; ts: number; value: number }[];
  /** An item's graph: the tier that fits the range (and `stepS`), rows in time order. */
  graph(id: string, item: string, fromS: number, toS: number, nowS: number, stepS?: number): Graph;
  /** An item's text values in [fromS, toS] (the changes, newest last). */
  strings(id: string, item: string, fromS: number, toS: number): { ts: number; value: string }[];
  updateDevice(id: string, change: { periodSeconds?: number; labels?: Record<string, string> }): DeviceRow | undefined;
  /** Seals the head into chunks: devices with a full hour of a chunk's worth, or silent ones, or (`all`) every device. */
  seal(nowMs: number, all?: boolean): Promise<number>;
  /**
   * Lets go of the per-device caches (series ids, item shapes, rows, text values: read again from
   * the tables when next needed), runs `collect` (a full garbage collection) and then rebuilds the
   * devices' head state from numbers copied aside, so it is allocated anew in a compact heap
   * (docs/PERFORMANCE.md "Idle memory"). False, doing nothing, while a seal is under way (it holds
   * the device states across its turns).
   */
  compactMemory(collect: () => void): boolean;
  /**
   * Deletes raw samples before `cutoffS` and records (their id hashes) before `recordsCutoffS`, one
   * device at a time, yielding to requests in between; returns the records removed.
   */
  deleteOlderThan(cutoffS: number, recordsCutoffS?: number): Promise<number>;
  /** Every tier's retention at `nowS` (the raw cutoff as deleteOlderThan), and the frozen rollups merged. */
  applyRetention(nowS: number): Promise<number>;
  counts(): { devices: number; records: number };
  stats(): StoreStats;
  /** Records after `seq` in arrival order, for forwarding (the outbox). */
  recordsAfter(seq: number, limit: number): { seq: number; body: string }[];
  forwardCursor(name: string): number;
  setForwardCursor(name: string, seq: number): void;
  close(): void;
}

/** Head rows of a device before a seal: at least a chunk's worth, cut at an hour's end (docs/TSDB.md). */
export const SEAL_ROWS = CHUNK_MIN_SAMPLES;
/** How long record ids are kept at least (the agents' spool expiry). */
export const DEFAULT_DEDUP_WINDOW_S = 7 * 86_400;
/** A device silent this long has its whole head sealed, however short. */
const _SILENT_SEAL_MS = 15 * 60_000;
/**
 * Head rows per seal transaction (one fsync each): 10–20 ms of work on this machine, so a
 * seal never holds requests up for longer (the store yields between its transactions).
 */
const _SEAL_TXN_ROWS = 200;
/** Under a load that outruns the seal (a head this large), it takes ten times as much a transaction. */
const _SEAL_BEHIND_ROWS = 20_000;
/** Free pages the file may keep (of its head's churn) before a seal gives them back, and how many a step. */
const _FREE_PAGES_KEPT = 512;
const _VACUUM_STEP_PAGES = 512;
/** Telemetrics payloads (and other text) kept per device and item, newest first. */
const _STRING_HISTORY = 100;
/** How long a device's row may stay behind its records when nothing reads it (device-rows.ts). */
const _DEVICE_ROWS_DELAY_MS = 1000;
/** How many device rows one turn of the event loop writes (about a millisecond on this machine). */
const _DEVICE_ROWS_PIECE = 100;

interface _HeadEntry {
  seq: number;
  ts: number;
}

/** What the store keeps in memory per device: its head's rows, newest time, series ids, text values. */
interface _DevState {
  dev: number;
  maxTs: number;
  head: _HeadEntry[];
  lastMs: number;
  /** Series ids by item, then key. */
  sids?: Map<string, Map<string, number>>;
  /** The item ids of the last record whose items were all in the items table already. */
  knownIds?: string[];
  /** The record series' id (each record's id hash). */
  recordSid?: number;
  /** Each text item's last value: its JSON as stored, and as it came when this process stored or saw it. */
  texts?: Map<string, { json: string; raw: unknown }>;
}

export function openStore(path: string, caps: StoreCaps = DEFAULT_LIMITS, options: StoreOptions = {}): Store {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path, { create: true, strict: true });
  if (path !== ":memory:") chmodSync(path, 0o600);
  // A new file keeps a map of its pages, so the seal can hand the head's freed pages back to the
  // disk (incremental_vacuum) instead of leaving the file at its peak size; set before any table.
  if ((db.query("PRAGMA page_count").get() as { page_count: number }).page_count === 0) db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  db.exec("PRAGMA journal_mode = WAL");
  // A record is acknowledged only after its commit is on disk (SPEC §9): the commit itself does not
  // wait for the disk (NORMAL), ingest then awaits an fsync of the WAL on a worker thread
  // (wal-sync.ts), so the main thread goes on with the next requests meanwhile.
  db.exec("PRAGMA synchronous = NORMAL");
  const walSync = path === ":memory:" ? undefined : createWalSync(path);
  db.exec("PRAGMA busy_timeout = 5000");
  const log = options.log ?? (() => {});
  const retention = options.retention ?? DEFAULT_RETENTION;
  const dedupWindowS = options.dedupWindowS ?? DEFAULT_DEDUP_WINDOW_S;
  const outbox = (options.forwardTargets ?? []).length > 0;
  if (prepareSchema(db)) migrateToChunks(db, log, retention);
  const rebuilt = rebuildLatest(db, Math.floor(Date.now() / 1000));
  if (rebuilt > 0) log(`the latest values of ${rebuilt} device(s) put back from the head (serve stopped before writing their rows)`);
  const deviceRows = createDeviceRows(db);
  // Pending device rows are written a second after the first touch, or before anything reads them.
  let deviceRowsTimer: ReturnType<typeof setTimeout> | undefined;
  function _writeDeviceRows(): void {
    if (deviceRowsTimer !== undefined) clearTimeout(deviceRowsTimer);
    deviceRowsTimer = undefined;
    deviceRows.write();
  }
  // The second's rows a piece at a time, a turn of the event loop between pieces: 1,000 rows at
  // once held requests for tens of milliseconds (bench/serve.ts's p99).
  function _writeDeviceRowsInPieces(): void {
    deviceRowsTimer = undefined;
    const dueMs = Date.now() - _DEVICE_ROWS_DELAY_MS;
    try {
      deviceRows.write(_DEVICE_ROWS_PIECE, dueMs);
    } catch (error) {
      // A full disk, say: the touches stay pending (a reader would meet the same error and answer 500).
      log(`writing the devices' rows: ${(error as Error).message}; retried in a second`);
      deviceRowsTimer = setTimeout(_writeDeviceRowsInPieces, _DEVICE_ROWS_DELAY_MS);
      deviceRowsTimer.unref?.();
      return;
    }
    _scheduleDeviceRows();
  }
  /** The next piece: at once while rows are due, else when the oldest pending touch is. */
  function _scheduleDeviceRows(): void {
    const oldest = deviceRows.oldestMs();
    if (oldest === undefined || deviceRowsTimer !== undefined) return;
    deviceRowsTimer = setTimeout(_writeDeviceRowsInPieces, Math.max(0, oldest + _DEVICE_ROWS_DELAY_MS - Date.now()));
    deviceRowsTimer.unref?.();
  }

  const reported = new Set<string>();
  const chunks = createChunkStore(db, (sid, startTs, what, error) => {
    const key = `${what} ${sid} ${startTs}`;
    if (reported.has(key)) return;
    reported.add(key);
    const s = db.query<{ id: string; item: string; key: string }, [number]>("SELECT d.id, s.item, s.key FROM series s JOIN devices d ON d.dev = s.dev WHERE s.sid = ?").get(sid);
    const name = s ? `${s.id} ${s.item || "(records)"}${s.key ? `.${s.key}` : ""}` : `series ${sid}`;
    log(`${name}: the ${what} from ${new Date(startTs * 1000).toISOString()} is skipped (${error.message})`);
  });

  const q = {
    deviceByIdRow: db.query<_DevRow, [string]>("SELECT dev, status, period_s, origin, latest_ts FROM devices WHERE id = ?"),
    labelsOf: db.query<{ labels: string }, [number]>("SELECT labels FROM devices WHERE dev = ?"),
    insertDevice: db.query("INSERT INTO devices (id, machine_id, hostname, period_s, first_seen, last_seen, address, status, origin) VALUES (?, ?, ?, ?, ?, ?, ?, 'UP', ?) RETURNING dev"),
    mergeLabels: db.query("UPDATE devices SET labels = json_patch(labels, ?) WHERE dev = ?"),
    itemsOf: db.query<{ item: string; type: string; shape: string; keys: string }, [number]>("SELECT item, type, shape, keys FROM items WHERE dev = ?"),
    upsertItem: db.query("INSERT INTO items (dev, item, type, shape, keys) VALUES (?, ?, ?, ?, ?) ON CONFLICT (dev, item) DO UPDATE SET type = excluded.type, shape = excluded.shape, keys = excluded.keys"),
    seriesOf: db.query<{ sid: number; item: string; key: string }, [number]>("SELECT sid, item, key FROM series WHERE dev = ?"),
    insertSeries: db.query<{ sid: number }, [number, string, string]>("INSERT INTO series (dev, item, key) VALUES (?, ?, ?) RETURNING sid"),
    insertHead: db.query<never, [number, number, number, Uint8Array]>("INSERT INTO head (dev, ts, rid, vals) VALUES (?, ?, ?, ?)"),
    headRid: db.query<{ rid: number }, [number]>("SELECT rid FROM head WHERE seq = ?"),
    headRows: db.query<{ seq: number; ts: number; rid: number; vals: Uint8Array }, [string]>("SELECT seq, ts, rid, vals FROM head WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY ts, seq"),
    deleteHead: db.query("DELETE FROM head WHERE seq IN (SELECT value FROM json_each(?))"),
    // ?2: the pending touches as [[dev, lastSeen], …] (device-rows.ts pendingSeen).
    pendingSilent: db.query<{ one: number }, [number, string]>(
      "SELECT 1 AS one FROM json_each(?2) p JOIN devices d ON d.dev = p.value->>0 WHERE ?1 - max(d.last_seen, p.value->>1) > 2 * d.period_s LIMIT 1",
    ),
    markDown: db.query<{ id: string; lastSeen: number }, [number, string]>(
      "UPDATE devices SET status = 'DOWN' WHERE status = 'UP' AND ?1 - last_seen > 2 * period_s AND dev NOT IN (SELECT value->>0 FROM json_each(?2)) RETURNING id, last_seen AS lastSeen",
    ),
    recordChunkAt: db.query<{ data: Uint8Array }, [number, number]>("SELECT data FROM chunks WHERE sid = ? AND start_ts <= ? ORDER BY start_ts DESC LIMIT 1"),
    latestTexts: db.query<{ item: string; val: string }, [number]>("SELECT item, val FROM strings s WHERE dev = ? AND ts = (SELECT max(ts) FROM strings t WHERE t.dev = s.dev AND t.item = s.item)"),
    insertString: db.query("INSERT INTO strings (dev, item, ts, val) VALUES (?, ?, ?, ?)"),
    insertOutbox: db.query("INSERT INTO outbox (body) VALUES (?)"),
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
    agent: (row.agent as string | null) ?? null,
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

  // Devices per origin, kept beside the table so the cap costs no count(*) per request; records likewise.
  let deviceCount: Record<DeviceOrigin, number> = { key: 0, open: 0 };
  let recordCount = 0;
  let headCount = 0;
  const states = new Map<number, _DevState>();
  // The rows _admit reads, by device id: kept while the store writes them (a new device, a record
  // making it UP, its latest_ts) and dropped when something else does (the DOWN check, a change of
  // period), or all of them when a transaction rolls back (_loadState).
  const rowsById = new Map<string, _DevRow>();
  function _loadState(): void {
    deviceCount = { key: 0, open: 0 };
    for (const row of db.query("SELECT origin, count(*) AS n FROM devices GROUP BY origin").all() as { origin: DeviceOrigin; n: number }[]) deviceCount[row.origin] = row.n;
    states.clear();
    rowsById.clear();
    described.clear();
    const nowMs = Date.now();
    for (const { dev, maxTs } of db.query("SELECT s.dev AS dev, max(c.end_ts) AS maxTs FROM series s JOIN chunks c ON c.sid = s.sid WHERE s.item = '' GROUP BY s.dev").all() as { dev: number; maxTs: number }[]) {
      states.set(dev, { dev, maxTs, head: [], lastMs: nowMs });
    }
    headCount = 0;
    for (const { seq, dev, ts } of db.query("SELECT seq, dev, ts FROM head ORDER BY seq").all() as { seq: number; dev: number; ts: number }[]) {
      const state = _state(dev, nowMs);
      state.head.push({ seq, ts });
      if (ts > state.maxTs) state.maxTs = ts;
      headCount++;
    }
    const sealed = db.query("SELECT coalesce(sum(c.n), 0) AS n FROM chunks c JOIN series s ON s.sid = c.sid WHERE s.item = ''").get() as { n: number };
    recordCount = sealed.n + headCount;
  }
  function _state(dev: number, nowMs: number): _DevState {
    let state = states.get(dev);
    if (!state) states.set(dev, (state = { dev, maxTs: -1, head: [], lastMs: nowMs }));
    return state;
  }
  _loadState();

  function _sid(state: _DevState, item: string, key: string): number {
    let sids = state.sids;
    if (!sids) {
      sids = new Map();
      for (const row of q.seriesOf.all(state.dev)) {
        let keys = sids.get(row.item);
        if (!keys) sids.set(row.item, (keys = new Map()));
        keys.set(row.key, row.sid);
      }
      state.sids = sids;
    }
    let keys = sids.get(item);
    if (!keys) sids.set(item, (keys = new Map()));
    let sid = keys.get(key);
    if (sid === undefined) {
      sid = q.insertSeries.get(state.dev, item, key)!.sid;
      keys.set(key, sid);
    }
    return sid;
  }

  /** Whether the device already has a record with this id hash at this second (head, then the record series' chunk). */
  function _isDuplicate(state: _DevState, ts: number, rid: number): boolean {
    if (ts > state.maxTs) return false;
    for (const entry of state.head) if (entry.ts === ts && q.headRid.get(entry.seq)?.rid === rid) return true;
    const row = q.recordChunkAt.get(_sid(state, RECORD_ITEM, ""), ts);
    if (!row) return false;
    try {
      const { ts: times, values } = decodeChunk(row.data);
      let lo = 0;
      let hi = times.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (times[mid]! < ts) lo = mid + 1;
        else if (times[mid]! > ts) hi = mid - 1;
        else return values[mid] === rid;
      }
    } catch (error) {
      if (!(error instanceof CorruptChunkError)) throw error;
    }
    return false;
  }

  /** A device's row as _admit needs it, from rowsById or the table. */
  function _deviceRow(id: string): _DevRow | null {
    let row = rowsById.get(id);
    if (row === undefined) {
      const stored = q.deviceByIdRow.get(id);
      if (stored === null) return null;
      rowsById.set(id, (row = stored));
    }
    return row;
  }

  /**
   * The request's devices (null: new), once the caps allow it: devices per key, items per device,
   * labels per device. Reads only, so a refusal leaves nothing behind.
   */
  function _admit(records: IngestRecord[], origin: DeviceOrigin): Map<string, _DevRow | null> {
    const devices = new Map<string, _DevRow | null>();
    let created = 0;
    for (const r of records) {
      if (devices.has(r.deviceId)) continue;
      const dev = _deviceRow(r.deviceId);
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
      // A record with the same item ids as the device's last all-known one (most records) brings
      // no new item: compared in order, without a lookup per item.
      const state = dev ? states.get(dev.dev) : undefined;
      if (!(state?.knownIds && _sameItemIds(state.knownIds, r.data))) {
        let allKnown = true;
        for (const item of r.data) {
          if (shapes?.has(item.id)) continue;
          allKnown = false;
          let ids = newItems.get(r.deviceId);
          if (!ids) newItems.set(r.deviceId, (ids = new Set()));
          ids.add(item.id);
          if ((shapes?.size ?? 0) + ids.size > caps.itemsPerDevice) {
            throw new LimitError(422, "itemsPerDevice", `device ${r.deviceId}: item ${item.id} would be more than ${caps.itemsPerDevice} items, the limit per device (serve --max-items)`);
          }
        }
        if (allKnown && state) state.knownIds = r.data.map((item) => item.id);
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

  /**
   * A text value into the history (as JSON) when it differs from the item's last one (a payload:
   * always). The last value as it came is kept beside its JSON, so an unchanged one (most are) is
   * told by comparing values, without serialising it.
   */
  function _text(state: _DevState, item: string, ts: number, value: unknown): void {
    if (item === PAYLOAD_ITEM) return void q.insertString.run(state.dev, item, ts, JSON.stringify(value));
    let texts = state.texts;
    if (!texts) {
      texts = new Map();
      for (const row of q.latestTexts.all(state.dev)) texts.set(row.item, { json: row.val, raw: undefined });
      state.texts = texts;
    }
    const last = texts.get(item);
    if (last?.raw !== undefined && sameJson(last.raw, value)) return;
    const json = JSON.stringify(value);
    if (last?.json === json) {
      last.raw = value;
      return;
    }
    texts.set(item, { json, raw: value });
    q.insertString.run(state.dev, item, ts, json);
  }

  /** A numeric item's series ids in the order of its known keys (see _KnownShape.sids). */
  function _knownSids(state: _DevState, id: string, known: _KnownShape): number[] {
    const keys = known.keys;
    if (keys === null) return [_sid(state, id, "")];
    if (typeof keys === "number") return Array.from({ length: keys }, (_, i) => _sid(state, id, String(i)));
    return keys.map((key) => _sid(state, id, key));
  }

  // Scratch arrays for one record's (series id, value) pairs, and its items' ids and values.
  const latestIds: string[] = [];
  const latestVals: unknown[] = [];
  let pairSids: number[] = [];
  let pairValues: number[] = [];
  const order: number[] = [];

  function _apply(records: IngestRecord[], address: string | null, nowMs: number, origin: DeviceOrigin): IngestOutcome {
    const known = _admit(records, origin);
    const out: IngestOutcome = { accepted: 0, duplicates: 0, up: [], stored: [], periodSeconds: DEFAULT_PERIOD_S };
    const nowS = Math.floor(nowMs / 1000);
    for (const r of records) {
      let dev = known.get(r.deviceId);
      if (!dev) {
        const inserted = q.insertDevice.get(r.deviceId, r.machineId ?? null, r.hostname ?? null, DEFAULT_PERIOD_S, nowS, nowS, address, origin) as { dev: number };
        dev = { dev: inserted.dev, status: "UP", period_s: DEFAULT_PERIOD_S, origin, latest_ts: 0 };
        known.set(r.deviceId, dev);
        rowsById.set(r.deviceId, dev);
        deviceCount[origin]++;
        out.up.push(r.deviceId);
      } else if (dev.status === "DOWN" && !deviceRows.has(dev.dev) && !out.up.includes(r.deviceId)) {
        out.up.push(r.deviceId);
      }
      if (r === records[0]) out.periodSeconds = dev.period_s;
      dev.status = "UP"; // any record, a duplicate too, makes its device UP (the cached row, as it will be written)
      const state = _state(dev.dev, nowMs);
      state.lastMs = nowMs;
      const ts = r.unixTimestamp;
      const rid = r.recordId ? recordIdHash(r.recordId) : 0;
      if (r.labels && Object.keys(r.labels).length > 0) q.mergeLabels.run(JSON.stringify(r.labels), dev.dev);
      if (rid !== 0 && _isDuplicate(state, ts, rid)) {
        deviceRows.touch(dev.dev, dev.latest_ts, { nowS, machineId: r.machineId ?? null, hostname: r.hostname ?? null, address, agent: r.agent ?? null }, ts, null, latestVals, false, null);
        out.duplicates++;
        continue;
      }
      out.accepted++;
      out.stored.push(r);
      latestIds.length = 0;
      latestVals.length = 0;
      pairSids.length = 0;
      pairValues.length = 0;
      pairSids.push((state.recordSid ??= _sid(state, RECORD_ITEM, "")));
      pairValues.push(rid);
      const shapes = _shapesOf(dev.dev);
      for (const item of r.data) {
        const val = item.val;
        latestIds.push(item.id);
        latestVals.push(val);
        let known = shapes.get(item.id);
        // Most items have the shape they had: their pairs go in as they are checked, one pass.
        if (item.type !== "string" && known?.type === item.type && _pushKnownPairs(state, item.id, known, val)) continue;
        const shape = _shape(item);
        if (!_sameShape(known, item, shape)) {
          q.upsertItem.run(dev.dev, item.id, item.type, shape, JSON.stringify(_keys(item)));
          shapes.set(item.id, (known = _knownShape(item, shape)));
        }
        if (shape === "string") _text(state, item.id, ts, val);
        else if (!_pushKnownPairs(state, item.id, known!, val)) throw new Error(`item ${item.id}: its series do not match its keys`);
      }
      if (r.payload !== undefined) _text(state, PAYLOAD_ITEM, ts, r.payload);
      _sortPairs();
      const seq = Number(q.insertHead.run(dev.dev, ts, rid, encodeHeadRow(pairSids, pairValues)).lastInsertRowid);
      // The cached row as it will be once written (device-rows.ts: a late record leaves latest_ts).
      if (ts >= dev.latest_ts) dev.latest_ts = ts;
      state.head.push({ seq, ts });
      if (ts > state.maxTs) state.maxTs = ts;
      headCount++;
      recordCount++;
      if (outbox) q.insertOutbox.run(r.body());
      const whole = shapes.size === r.data.length; // item ids are unique within a record
      deviceRows.touch(dev.dev, dev.latest_ts, { nowS, machineId: r.machineId ?? null, hostname: r.hostname ?? null, address, agent: r.agent ?? null }, ts, latestIds, latestVals, whole, seq);
    }
    return out;
  }

  /**
   * Pushes a numeric item's (series id, value) pairs when its value has the known shape (the same
   * keys in the same order, see _sameShape); otherwise pushes nothing and returns false.
   */
  function _pushKnownPairs(state: _DevState, id: string, known: _KnownShape, val: unknown): boolean {
    const shape = _numericShape(val);
    if (known.shape !== shape || (shape === "array" && known.keys !== (val as unknown[]).length)) return false;
    const sids = (known.sids ??= _knownSids(state, id, known));
    if (typeof val === "number") {
      pairSids.push(sids[0]!);
      pairValues.push(val);
      return true;
    }
    if (Array.isArray(val)) {
      for (let i = 0; i < val.length; i++) {
        pairSids.push(sids[i]!);
        pairValues.push(val[i] as number);
      }
      return true;
    }
    const keys = known.keys as string[];
    const from = pairSids.length;
    let i = 0;
    let same = true;
    for (const key in val as Record<string, number>) {
      if (keys[i] !== key) {
        same = false;
        break;
      }
      pairSids.push(sids[i++]!);
      pairValues.push((val as Record<string, number>)[key]!);
    }
    if (same && i === keys.length) return true;
    pairSids.length = from;
    pairValues.length = from;
    return false;
  }

  /** Orders the pairs by series id (they usually are: ids are given in the record's item order). */
  function _sortPairs(): void {
    let sorted = true;
    for (let i = 1; i < pairSids.length; i++) if (pairSids[i]! <= pairSids[i - 1]!) sorted = false;
    if (sorted) return;
    order.length = 0;
    for (let i = 0; i < pairSids.length; i++) order.push(i);
    order.sort((a, b) => pairSids[a]! - pairSids[b]!);
    // A record never has the same series twice (item ids are unique; keys within an item too).
    const sids = order.map((i) => pairSids[i]!);
    const values = order.map((i) => pairValues[i]!);
    pairSids = sids;
    pairValues = values;
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
    let outcomes: (IngestOutcome | HttpError)[];
    try {
      outcomes = transaction(batch);
    } catch (error) {
      _loadState(); // the transaction rolled back: the tables may hold less than memory says
      // The pending device rows held this transaction's touches too: those that committed are
      // in the head, and come back from it as after a crash.
      deviceRows.forget();
      try {
        rebuildLatest(db, Math.floor(Math.max(...batch.map((p) => p.nowMs)) / 1000));
      } catch (rebuildError) {
        log(`the devices' latest values could not be put back after a failed transaction (${(rebuildError as Error).message}); the next start retries`);
      }
      for (const p of batch) p.reject(error);
      return;
    }
    _scheduleDeviceRows();
    const answer = () =>
      batch.forEach((p, i) => {
        const outcome = outcomes[i]!;
        if (outcome instanceof HttpError) p.reject(outcome);
        else p.resolve(outcome);
      });
    if (!walSync) answer();
    else walSync.durable().then(answer, (error: unknown) => {
      for (const p of batch) p.reject(error);
    });
  }

  /**
   * The rows of a device's head to seal now, in time order: all but its open hour once at least
   * SEAL_ROWS come before it, or all of them (a silent device, or `all`).
   */
  function _sealCut(state: _DevState, nowMs: number, all: boolean): _HeadEntry[] {
    const head = state.head;
    if (head.length === 0) return [];
    const byTime = (rows: _HeadEntry[]) => rows.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    if (all || nowMs - state.lastMs >= _SILENT_SEAL_MS) return byTime(head.slice());
    // Everything before the open hour (the hour of the newest row), when that is at least
    // SEAL_ROWS rows; counted before anything is sorted, since the seal asks every device each
    // pass and most have nothing to give (a head inside one hour: the pass must cost O(rows)).
    let newest = -Infinity;
    for (const entry of head) if (entry.ts > newest) newest = entry.ts;
    const openHourS = Math.floor(newest / 3600) * 3600;
    let before = 0;
    for (const entry of head) if (entry.ts < openHourS) before++;
    if (before < SEAL_ROWS) return [];
    return byTime(head.filter((entry) => entry.ts < openHourS));
  }

  /** A cut in pieces of at least SEAL_ROWS rows ending at an hour's end (the last: the cut's end), one seal unit each. */
  function _pieces(cut: _HeadEntry[]): _HeadEntry[][] {
    const pieces: _HeadEntry[][] = [];
    let from = 0;
    for (let i = 0; i < cut.length; i++) {
      const next = cut[i + 1];
      if (next !== undefined && (i - from + 1 < SEAL_ROWS || Math.floor(cut[i]!.ts / 3600) === Math.floor(next.ts / 3600))) continue;
      pieces.push(cut.slice(from, i + 1));
      from = i + 1;
    }
    return pieces;
  }

  /** How old each tier's samples may be at `nowS`. */
  const _cutoffs = (nowS: number): Cutoffs => ({ rawS: nowS - retention.rawS, fiveMinuteS: nowS - retention.fiveMinuteS, hourS: nowS - retention.hourS });

  /** One device's cut head rows into chunks, and out of the head (in the caller's transaction). */
  function _sealRows(state: _DevState, cut: _HeadEntry[], cutoffs: Cutoffs): void {
    const seqs = JSON.stringify(cut.map((e) => e.seq));
    const samples = _samplesOfRows(seqs);
    const recordSid = _sid(state, RECORD_ITEM, "");
    for (const [sid, s] of samples) chunks.writeSamples(sid, s, sid === recordSid, cutoffs);
    q.deleteHead.run(seqs);
    const sealed = new Set(cut.map((e) => e.seq));
    state.head = state.head.filter((e) => !sealed.has(e.seq));
    headCount -= cut.length;
  }

  const sealTransaction = db.transaction((work: [_DevState, _HeadEntry[]][], cutoffs: Cutoffs) => {
    for (const [state, cut] of work) _sealRows(state, cut, cutoffs);
  });

  let sealing: Promise<number> | undefined;
  async function _seal(nowMs: number, all: boolean): Promise<number> {
    let sealed = 0;
    let work: [_DevState, _HeadEntry[]][] = [];
    let rows = 0;
    const commit = async () => {
      if (work.length === 0) return;
      try {
        // The rows sealed leave the head, where a start after a crash finds what the device rows lack.
        _writeDeviceRows();
        sealTransaction(work, _cutoffs(Math.floor(nowMs / 1000)));
        sealed += rows;
      } catch (error) {
        _loadState();
        throw error;
      }
      work = [];
      rows = 0;
      await new Promise((resolve) => setImmediate(resolve)); // requests go first
    };
    for (const state of [...states.values()]) {
      for (const piece of _pieces(_sealCut(state, nowMs, all))) {
        work.push([state, piece]);
        rows += piece.length;
        if (rows >= (headCount > _SEAL_BEHIND_ROWS ? 10 * _SEAL_TXN_ROWS : _SEAL_TXN_ROWS)) await commit();
      }
    }
    await commit();
    await _giveBackFreePages();
    return sealed;
  }

  /** Pages freed by a seal (the head) or by retention go back to the disk, a step at a time between requests. */
  async function _giveBackFreePages(): Promise<void> {
    const pragma = (name: string) => Object.values(db.query(`PRAGMA ${name}`).get() as Record<string, number>)[0]!;
    if (pragma("auto_vacuum") !== 2) return;
    while (pragma("freelist_count") > _FREE_PAGES_KEPT) {
      db.exec(`PRAGMA incremental_vacuum(${_VACUUM_STEP_PAGES})`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  function _devOf(id: string): { dev: number; period: number } | undefined {
    const row = db.query<{ dev: number; period_s: number }, [string]>("SELECT dev, period_s FROM devices WHERE id = ?").get(id);
    return row ? { dev: row.dev, period: row.period_s } : undefined;
  }

  /** An item's series (sid → key) in the item's key order. */
  function _itemSids(dev: number, item: string): Map<number, string> {
    const rows = db.query<{ sid: number; key: string }, [number, string]>("SELECT sid, key FROM series WHERE dev = ? AND item = ? ORDER BY sid").all(dev, item);
    return new Map(rows.map((r) => [r.sid, r.key]));
  }

  /** The head's samples of these series in [fromS, toS], per series in time order. */
  function _headSamples(dev: number, sids: Map<number, string>, fromS: number, toS: number): Map<number, { ts: number[]; values: number[] }> {
    const out = new Map<number, { ts: number[]; values: number[] }>();
    const state = states.get(dev);
    if (!state) return out;
    const seqs = state.head.filter((e) => e.ts >= fromS && e.ts <= toS).map((e) => e.seq);
    return seqs.length === 0 ? out : _samplesOfRows(JSON.stringify(seqs), sids);
  }

  /**
   * The samples of these head rows (a JSON list of seqs) per series, in time order (`only`: of
   * these series). A later row at the same second replaces the value, as a merge of the records.
   */
  function _samplesOfRows(seqs: string, only?: Map<number, string>): Map<number, { ts: number[]; values: number[] }> {
    const out = new Map<number, { ts: number[]; values: number[] }>();
    for (const row of q.headRows.all(seqs)) {
      decodeHeadRow(row.vals, (sid, value) => {
        if (only && !only.has(sid)) return;
        let s = out.get(sid);
        if (!s) out.set(sid, (s = { ts: [], values: [] }));
        if (s.ts.at(-1) === row.ts) s.values[s.values.length - 1] = value;
        else {
          s.ts.push(row.ts);
          s.values.push(value);
        }
      });
    }
    return out;
  }

  /** Sealed then head samples of one series, merged in time order (the head's value wins at the same second). */
  function _rawOf(sid: number, head: { ts: number[]; values: number[] } | undefined, fromS: number, toS: number): { ts: number[]; values: number[] } {
    const sealed = { ts: [] as number[], values: [] as number[] };
    chunks.readRaw(sid, fromS, toS, sealed);
    if (!head || head.ts.length === 0) return sealed;
    if (sealed.ts.length === 0 || head.ts[0]! > sealed.ts.at(-1)!) return { ts: sealed.ts.concat(head.ts), values: sealed.values.concat(head.values) };
    const merged = new Map<number, number>();
    for (let i = 0; i < sealed.ts.length; i++) merged.set(sealed.ts[i]!, sealed.values[i]!);
    for (let i = 0; i < head.ts.length; i++) merged.set(head.ts[i]!, head.values[i]!);
    const ts = [...merged.keys()].sort((a, b) => a - b);
    return { ts, values: ts.map((t) => merged.get(t)!) };
  }

  return {
    db,
    ingest(records, address, nowMs, origin = "key") {
      return new Promise((resolve, reject) => {
        pending.push({ records, address, nowMs, origin, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          // While an fsync is in flight a commit could not be acknowledged before the next one
          // anyway: the requests wait for it and commit together (one transaction, fewer WAL pages
          // and less CPU per record under load), and the next fsync covers them all.
          setImmediate(() => (walSync ? walSync.whenIdle(_flush) : _flush()));
        }
      });
    },
    devices() {
      _writeDeviceRows();
      return (db.query(`SELECT ${_DEVICE_COLUMNS} FROM devices ORDER BY id`).all() as Record<string, unknown>[]).map(_device);
    },
    devicesPage(limit, after = "") {
      _writeDeviceRows();
      return (db.query(`SELECT ${_DEVICE_COLUMNS} FROM devices WHERE id > ? ORDER BY id LIMIT ?`).all(after, limit) as Record<string, unknown>[]).map(_device);
    },
    numericLatestPage(limit, after = "") {
      _writeDeviceRows();
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
      _writeDeviceRows();
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
      // A device whose touch is not written yet was seen after its row's last_seen: when none of
      // those touches is itself older than twice its device's period, those devices are left out
      // and their rows stay pending. Writing every pending row here, every 5 s, held requests for
      // tens of milliseconds under load (1,000 rows in one turn). Only when one is that old (its
      // row could not be written for so long) are they all written first, and the check reads them.
      let pending = JSON.stringify(deviceRows.pendingSeen());
      if (deviceRows.size > 0 && q.pendingSilent.get(nowS, pending)) {
        _writeDeviceRows();
        pending = "[]";
      }
      const down = q.markDown.all(nowS, pending);
      for (const { id } of down) rowsById.delete(id);
      return down;
    },
    device(id) {
      _writeDeviceRows();
      const row = db.query(`SELECT ${_DEVICE_COLUMNS} FROM devices WHERE id = ?`).get(id) as Record<string, unknown> | null;
      return row ? _device(row) : undefined;
    },
    labels(id) {
      const row = db.query<{ labels: string }, [string]>("SELECT labels FROM devices WHERE id = ?").get(id);
      return row ? (JSON.parse(row.labels) as Record<string, string>) : undefined;
    },
    items(id) {
      _writeDeviceRows();
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
      const device = _devOf(id);
      if (!device || item === RECORD_ITEM) return [];
      const sids = _itemSids(device.dev, item);
      const head = _headSamples(device.dev, sids, fromS, toS);
      const perSeries: { key: string; ts: number; value: number }[][] = [];
      for (const [sid, key] of sids) {
        const { ts, values } = _rawOf(sid, head.get(sid), fromS, toS);
        const rows: { key: string; ts: number; value: number }[] = [];
        for (let i = 0; i < ts.length; i++) rows.push({ key, ts: ts[i]!, value: values[i]! });
        perSeries.push(rows);
      }
      return mergeByTime(perSeries);
    },
    graph(id, item, fromS, toS, nowS, stepS) {
      const device = _devOf(id);
      if (!device || item === RECORD_ITEM) return { tier: "raw", stepS: 0, rows: [] };
      const sids = _itemSids(device.dev, item);
      // The tier is chosen for the part of the range that has data (a range from 0 asks for "all").
      const list = JSON.stringify([...sids.keys()]);
      let rawFirst = db.query<{ t: number | null }, [string]>("SELECT min(start_ts) AS t FROM chunks WHERE sid IN (SELECT value FROM json_each(?))").get(list)?.t ?? Infinity;
      for (const entry of states.get(device.dev)?.head ?? []) if (entry.ts < rawFirst) rawFirst = entry.ts;
      const rolledFirst = db.query<{ t: number | null }, [string]>("SELECT min(start_ts) AS t FROM rollups WHERE sid IN (SELECT value FROM json_each(?))").get(list)?.t ?? Infinity;
      const dataFirst = Math.min(rawFirst, rolledFirst);
      if (dataFirst === Infinity) return { tier: "raw", stepS: 0, rows: [] };
      const from = Math.max(fromS, dataFirst);
      const to = Math.min(toS, Math.max(from, states.get(device.dev)?.maxTs ?? toS));
      // Raw samples reach back to rawFirst (the raw tier's retention, or the first sample).
      const picked = pickTier(from, to, nowS, { ...retention, rawS: Math.max(0, nowS - rawFirst) }, device.period, stepS);
      if (picked.tier === "raw" && picked.stepS === 0) return { tier: "raw", stepS: 0, rows: this.series(id, item, fromS, toS) };
      const tier: RollupSeconds = picked.tier === "1h" ? 3600 : 300;
      const counter = db.query<{ type: string }, [number, string]>("SELECT type FROM items WHERE dev = ? AND item = ?").get(device.dev, item)?.type === "counter";
      const head = _headSamples(device.dev, sids, fromS - picked.stepS, toS);
      const perSeries: GraphRow[][] = [];
      for (const [sid, key] of sids) {
        const rows: GraphRow[] = [];
        perSeries.push(rows);
        let buckets: Bucket[];
        if (picked.tier === "raw") {
          const { ts, values } = _rawOf(sid, head.get(sid), fromS, toS);
          buckets = rollUp(ts, values, picked.stepS);
        } else {
          // Sealed rows' step buckets, then the head's (not sealed yet) rolled up the same way; a
          // step bucket cut by a row boundary or the head comes twice and becomes one.
          buckets = chunks.readStepBuckets(sid, tier, fromS - picked.stepS, toS, picked.stepS);
          const fresh = head.get(sid);
          if (fresh) buckets.push(...aggregateToStep(rollUp(fresh.ts, fresh.values, tier), picked.stepS));
          buckets.sort((a, b) => a.start - b.start);
          buckets = aggregateToStep(buckets, picked.stepS);
        }
        for (const b of buckets) {
          if (b.start + picked.stepS <= fromS || b.start > toS) continue;
          rows.push({ key, ts: b.start, value: counter ? b.last : b.sum / b.count, min: b.min, max: b.max });
        }
      }
      return { tier: picked.tier, stepS: picked.stepS, rows: mergeByTime(perSeries) };
    },
    strings(id, item, fromS, toS) {
      const device = _devOf(id);
      if (!device) return [];
      return db
        .query<{ ts: number; val: string }, [number, string, number, number]>("SELECT ts, val FROM strings WHERE dev = ? AND item = ? AND ts BETWEEN ? AND ? ORDER BY ts, id")
        .all(device.dev, item, fromS, toS)
        .map((r) => ({ ts: r.ts, value: r.val }));
    },
    updateDevice(id, change) {
      _writeDeviceRows();
      rowsById.delete(id);
      if (change.periodSeconds !== undefined) db.query("UPDATE devices SET period_s = ? WHERE id = ?").run(change.periodSeconds, id);
      if (change.labels !== undefined) db.query("UPDATE devices SET labels = ? WHERE id = ?").run(JSON.stringify(change.labels), id);
      return this.device(id);
    },
    compactMemory(collect) {
      if (sealing) return false;
      _writeDeviceRows();
      // The head state as numbers (off the collected heap): per device its dev, newest time, last
      // record's arrival and head length, then every head row's seq and time.
      const devices = new Float64Array(states.size * 4);
      let headRows = 0;
      for (const state of states.values()) headRows += state.head.length;
      const rows = new Float64Array(headRows * 2);
      let d = 0;
      let h = 0;
      for (const state of states.values()) {
        devices.set([state.dev, state.maxTs, state.lastMs, state.head.length], d);
        d += 4;
        for (const entry of state.head) {
          rows[h++] = entry.seq;
          rows[h++] = entry.ts;
        }
      }
      states.clear();
      described.clear();
      rowsById.clear();
      collect();
      h = 0;
      for (let i = 0; i < d; i += 4) {
        const head: _HeadEntry[] = [];
        for (let j = 0; j < devices[i + 3]!; j++, h += 2) head.push({ seq: rows[h]!, ts: rows[h + 1]! });
        states.set(devices[i]!, { dev: devices[i]!, maxTs: devices[i + 1]!, head, lastMs: devices[i + 2]! });
      }
      return true;
    },
    seal(nowMs, all = false) {
      // One seal at a time; a second call waits for the first and then runs (its rows may be new).
      const run = (sealing ?? Promise.resolve(0)).catch(() => 0).then(() => _seal(nowMs, all));
      // `sealing` is undefined once no seal is under way (compactMemory waits for that).
      const tracked: Promise<number> = run.catch(() => 0).finally(() => {
        if (sealing === tracked) sealing = undefined;
      });
      sealing = tracked;
      return run;
    },
    async deleteOlderThan(cutoffS, recordsCutoffS = cutoffS) {
      // Device by device, with a turn of the event loop between devices: a first run after a long
      // stop can have much to delete, and ingest must not wait for all of it.
      await sealing;
      _writeDeviceRows();
      let removed = 0;
      // Every chunk query bounds start_ts too (a chunk ending before the cutoff starts before it), so
      // the (sid, start_ts) index stops at the cutoff: a pass with nothing to drop reads no chunk row.
      const recordsBefore = db.query<{ n: number }, [number, number]>(
        "SELECT coalesce(sum(c.n), 0) AS n FROM chunks c JOIN series s ON s.sid = c.sid WHERE s.dev = ?1 AND s.item = '' AND c.start_ts < ?2 AND c.end_ts < ?2",
      );
      // The device's numeric series with raw chunks to freeze, in one statement rather than one per series.
      const sidsToFreeze = db.query<{ sid: number }, [number, number]>(
        "SELECT DISTINCT c.sid FROM series s JOIN chunks c ON c.sid = s.sid WHERE s.dev = ?1 AND s.item != '' AND c.start_ts < ?2 AND c.end_ts < ?2",
      );
      // As applyRetention's: the coarser tiers' cutoffs at the time this raw cutoff belongs to.
      const cutoffs = _cutoffs(cutoffS + retention.rawS);
      const deleteRecords = db.query("DELETE FROM chunks WHERE sid IN (SELECT sid FROM series WHERE dev = ?1 AND item = '') AND start_ts < ?2 AND end_ts < ?2");
      const deleteTexts = db.query(
        "DELETE FROM strings WHERE dev = ?1 AND (ts < ?2 AND ts < (SELECT max(ts) FROM strings t WHERE t.dev = strings.dev AND t.item = strings.item) " +
          "OR id NOT IN (SELECT id FROM strings t WHERE t.dev = ?1 AND t.item = strings.item ORDER BY ts DESC, id DESC LIMIT ?3))",
      );
      const headCutoff = Math.min(cutoffS, recordsCutoffS);
      for (const { dev } of db.query("SELECT dev FROM devices").all() as { dev: number }[]) {
        db.transaction(() => {
          const records = recordsBefore.get(dev, recordsCutoffS)!.n;
          for (const { sid } of sidsToFreeze.all(dev, cutoffs.rawS)) chunks.freeze(sid, cutoffs);
          deleteRecords.run(dev, recordsCutoffS);
          // The head's rows of a device are mirrored in its state (seq, ts): the old ones are found
          // there, not by scanning the head table (it has no index by device and time).
          const state = states.get(dev);
          const old = state ? state.head.filter((e) => e.ts < headCutoff) : [];
          if (old.length > 0) {
            q.deleteHead.run(JSON.stringify(old.map((e) => e.seq)));
            state!.head = state!.head.filter((e) => e.ts >= headCutoff);
          }
          headCount -= old.length;
          deleteTexts.run(dev, cutoffS, _STRING_HISTORY);
          recordCount -= records + old.length;
          removed += records + old.length;
        })();
        await new Promise((resolve) => setImmediate(resolve));
      }
      return removed;
    },
    async applyRetention(nowS) {
      const rawCutoff = nowS - retention.rawS;
      const removed = await this.deleteOlderThan(rawCutoff, Math.min(rawCutoff, nowS - dedupWindowS));
      const dropRollups = db.query("DELETE FROM rollups WHERE sid IN (SELECT sid FROM series WHERE dev = ?) AND tier = ? AND end_ts < ?");
      for (const { dev } of db.query("SELECT dev FROM devices").all() as { dev: number }[]) {
        db.transaction(() => {
          dropRollups.run(dev, 300, nowS - retention.fiveMinuteS);
          dropRollups.run(dev, 3600, nowS - retention.hourS);
        })();
        await new Promise((resolve) => setImmediate(resolve));
      }
      await _giveBackFreePages();
      return removed;
    },
    counts: () => ({ devices: deviceCount.key + deviceCount.open, records: recordCount }),
    stats: () => ({ headRecords: headCount }),
    recordsAfter: (seq, limit) => db.query("SELECT seq, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?").all(seq, limit) as { seq: number; body: string }[],
    forwardCursor: (name) => (db.query("SELECT seq FROM forward_cursor WHERE name = ?").get(name) as { seq: number } | null)?.seq ?? 0,
    setForwardCursor: (name, seq) => {
      db.query("INSERT INTO forward_cursor (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq").run(name, seq);
      // The outbox keeps what the slowest target has not sent; a target with no cursor yet has sent nothing.
      const targets = options.forwardTargets ?? [];
      const cursors = targets.map((t) => (t === name ? seq : ((db.query("SELECT seq FROM forward_cursor WHERE name = ?").get(t) as { seq: number } | null)?.seq ?? 0)));
      if (cursors.length > 0) db.query("DELETE FROM outbox WHERE seq <= ?").run(Math.min(...cursors));
    },
    close: () => {
      _writeDeviceRows();
      walSync?.close();
      db.close();
    },
  };
}
