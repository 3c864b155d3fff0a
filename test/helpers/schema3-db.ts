// A receiver database in schema 3 (the store before issue 12's time-series engine) filled with
// bench/walk.ts's walked records, written straight into SQLite: the input of the schema-3 → 4
// migration test and of the bench's migration row, at any size, in seconds instead of the minutes
// loading it through `serve` takes. Rows are what the schema-3 store writes for the same records
// pushed one by one as they were made (received = the record's timestamp, from `address`).
// The tables are frozen here on purpose: store-schema.ts moves on, and this file must keep writing
// the old layout for as long as a migration from it is supported.
import { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { createWalk, STEP_S, type Walk } from "../../bench/walk.ts";
import { DEFAULT_PERIOD_S } from "../../src/record/period.ts";
import type { Item } from "../../src/record/schema.ts";

/** Schema 3's tables exactly as store-schema.ts created them at version 3. */
const SCHEMA_3 = `
CREATE TABLE devices (
  dev INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  machine_id TEXT,
  hostname TEXT,
  labels TEXT NOT NULL DEFAULT '{}',
  period_s INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  address TEXT,
  status TEXT NOT NULL DEFAULT 'UP',
  latest TEXT NOT NULL DEFAULT '{}',
  latest_ts INTEGER NOT NULL DEFAULT 0,
  origin TEXT NOT NULL DEFAULT 'key'
);
CREATE TABLE records (
  seq INTEGER PRIMARY KEY,
  record_id TEXT UNIQUE,
  dev INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  received INTEGER NOT NULL,
  body TEXT NOT NULL,
  payload TEXT
);
CREATE INDEX records_dev_ts ON records (dev, ts);
CREATE TABLE items (
  dev INTEGER NOT NULL,
  item TEXT NOT NULL,
  type TEXT NOT NULL,
  shape TEXT NOT NULL,
  keys TEXT NOT NULL,
  PRIMARY KEY (dev, item)
) WITHOUT ROWID;
CREATE TABLE points (
  dev INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  vals BLOB NOT NULL,
  PRIMARY KEY (dev, ts)
);
CREATE TABLE forward_cursor (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
PRAGMA user_version = 3;
`;

export interface Schema3Options {
  devices: number;
  recordsPerDevice: number;
  /** Seconds between two records of a device (default 600, the agent's cron period). */
  periodS?: number;
  /** Unix seconds: every record is before it, the newest of each device within periodS of it. */
  endS: number;
  /** The walk's seed (bench/walk.ts). */
  seed: number;
  /** recordId prefix (default "schema3"). */
  idPrefix?: string;
  /** The address the pushes came from (devices.address; default 127.0.0.1). */
  address?: string;
}

/** The walk a database of these options holds: `recordAt(device, step)` is the record it stored for that device and step. */
export function schema3Walk(options: Schema3Options): Walk & { startS: number } {
  const stepS = options.periodS ?? STEP_S;
  const startS = options.endS - options.recordsPerDevice * stepS;
  return { ...createWalk(options.seed, options.devices, { start: startS, stepS, idPrefix: options.idPrefix ?? "schema3" }), startS };
}

export interface Schema3Summary {
  records: number;
  /** The oldest and the newest record's unixTimestamp. */
  firstS: number;
  lastS: number;
}

type _Shape = "scalar" | "array" | "object" | "string";

// What store.ts (schema 3) derived from an item: its shape and its keys.
function _shape(item: Item): _Shape {
  if (item.type === "string") return "string";
  if (typeof item.val === "number") return "scalar";
  return Array.isArray(item.val) ? "array" : "object";
}

function _keys(item: Item): string[] {
  if (typeof item.val !== "object" || item.val === null) return [];
  return Array.isArray(item.val) ? item.val.map((_, i) => String(i)) : Object.keys(item.val);
}

/** Records per transaction: big enough that commits cost nothing, small enough to keep the page cache bounded. */
const _BATCH = 20_000;

/**
 * Writes a new schema-3 database at `path` (an existing file there is replaced): the records of
 * `devices` walked devices, `recordsPerDevice` each, periodS apart, in the order a live fleet
 * pushes them (step by step, device by device within a step). Left in WAL mode, checkpointed.
 */
export function writeSchema3Database(path: string, options: Schema3Options): Schema3Summary {
  const { devices, recordsPerDevice } = options;
  if (!Number.isInteger(devices) || devices < 1) throw new RangeError(`devices: expected a whole number ≥ 1, got ${devices}`);
  if (!Number.isInteger(recordsPerDevice) || recordsPerDevice < 1) throw new RangeError(`recordsPerDevice: expected a whole number ≥ 1, got ${recordsPerDevice}`);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  const address = options.address ?? "127.0.0.1";
  const walk = schema3Walk(options);
  const db = new Database(path, { create: true, strict: true });
  // No journal while generating (a failed run leaves a file nobody uses); WAL at the end, as the store keeps it.
  db.exec("PRAGMA journal_mode = OFF");
  db.exec("PRAGMA synchronous = OFF");
  db.exec("PRAGMA cache_size = -65536");
  db.exec(SCHEMA_3);
  const insertDevice = db.query("INSERT INTO devices (dev, id, machine_id, hostname, period_s, first_seen, last_seen, address, status, latest, latest_ts, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'UP', ?, ?, 'key')");
  const insertRecord = db.query("INSERT INTO records (record_id, dev, ts, received, body, payload) VALUES (?, ?, ?, ?, ?, NULL)");
  const insertItem = db.query("INSERT INTO items (dev, item, type, shape, keys) VALUES (?, ?, ?, ?, ?)");
  const insertPoints = db.query("INSERT INTO points (dev, ts, vals) VALUES (?, ?, jsonb(?))");
  // Per device: its first record (first_seen, items) and its newest (last_seen, latest).
  const first: ({ ts: number; data: Item[]; machineId: string; hostname: string; id: string } | undefined)[] = new Array(devices);
  const last: { ts: number; latest: string }[] = new Array(devices);
  let records = 0;
  const writeSteps = db.transaction((fromStep: number, toStep: number) => {
    for (let step = fromStep; step < toStep; step++) {
      for (let d = 0; d < devices; d++) {
        const r = walk.recordAt(d, step);
        const ts = r.unixTimestamp;
        const dev = d + 1;
        first[d] ??= { ts, data: r.data, machineId: r.meta.machineId, hostname: r.meta.hostname, id: r.deviceId ?? r.meta.machineId };
        // As store.ts built them: item ids are JSON keys as they are; strings only in `latest`.
        let latest = "";
        let numbers = "";
        for (const item of r.data) {
          const val = JSON.stringify(item.val);
          latest += `,"${item.id}":[${ts},${val}]`;
          if (_shape(item) !== "string") numbers += `,"${item.id}":${val}`;
        }
        last[d] = { ts, latest: `{${latest.slice(1)}}` };
        insertRecord.run(r.meta.recordId, dev, ts, ts, JSON.stringify(r));
        if (numbers) insertPoints.run(dev, ts, `{${numbers.slice(1)}}`);
        records++;
      }
    }
  });
  const stepsPerBatch = Math.max(1, Math.floor(_BATCH / devices));
  for (let step = 0; step < recordsPerDevice; step += stepsPerBatch) writeSteps(step, Math.min(recordsPerDevice, step + stepsPerBatch));
  db.transaction(() => {
    for (let d = 0; d < devices; d++) {
      const f = first[d]!;
      insertDevice.run(d + 1, f.id, f.machineId, f.hostname, DEFAULT_PERIOD_S, f.ts, last[d]!.ts, address, last[d]!.latest, last[d]!.ts);
      for (const item of f.data) insertItem.run(d + 1, item.id, item.type, _shape(item), JSON.stringify(_keys(item)));
    }
  })();
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  const firstS = Math.min(...first.map((f) => f!.ts));
  const lastS = Math.max(...last.map((l) => l.ts));
  return { records, firstS, lastS };
}
