import type { Database } from "bun:sqlite";

/**
 * The receiver's tables (SPEC §9), version 3 in `PRAGMA user_version`:
 * - devices: one row per device, with `latest` = {item: [unixTimestamp, val]} of its newest values
 *   and `origin`, how it was created: `key` (an API with the ingest key) or `open` (a keyless
 *   pattoo post under --pattoo-open, which may never write to a `key` device);
 * - records: every record as received, deduplicated by record_id (forwarding reads them in seq order);
 * - items: each device's items with their type, shape and keys (rewritten only when those change);
 * - points: the numeric items of one device at one time as JSONB {item: val}, for graphs (a rowid
 *   table: its rows of half a kilobyte and more are cheaper to append there than in a WITHOUT ROWID tree).
 * Version 1 kept one series row per (device, item, key, time) and an index on time beside it: about
 * eighty B-tree writes per record, scattered over a large file. Version 2 had no `origin` (its
 * devices all came with the key). `prepareSchema` migrates both in place.
 */
const _VERSION = 3;

const _TABLES = `
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
  status TEXT NOT NULL DEFAULT 'UP',
  latest TEXT NOT NULL DEFAULT '{}',
  latest_ts INTEGER NOT NULL DEFAULT 0,
  origin TEXT NOT NULL DEFAULT 'key'
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
CREATE TABLE IF NOT EXISTS items (
  dev INTEGER NOT NULL,
  item TEXT NOT NULL,
  type TEXT NOT NULL,
  shape TEXT NOT NULL,
  keys TEXT NOT NULL,
  PRIMARY KEY (dev, item)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS points (
  dev INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  vals BLOB NOT NULL,
  PRIMARY KEY (dev, ts)
);
CREATE TABLE IF NOT EXISTS forward_cursor (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
`;

// Version 1 → 2, after _TABLES has added the points table: series rows grouped into one points row
// per (device, time); the items' latest values onto their device; the index on records.ts dropped
// (retention walks (dev, ts) instead).
const _FROM_V1 = `
ALTER TABLE devices ADD COLUMN latest TEXT NOT NULL DEFAULT '{}';
ALTER TABLE devices ADD COLUMN latest_ts INTEGER NOT NULL DEFAULT 0;
UPDATE devices SET
  latest = coalesce((SELECT json_group_object(item, json_array(ts, json(latest))) FROM items WHERE items.dev = devices.dev), '{}'),
  latest_ts = coalesce((SELECT max(ts) FROM items WHERE items.dev = devices.dev), 0);
ALTER TABLE items DROP COLUMN latest;
ALTER TABLE items DROP COLUMN ts;
INSERT INTO points (dev, ts, vals)
  SELECT dev, ts, jsonb(json_group_object(item, json(val))) FROM (
    SELECT dev, item, ts, CASE WHEN count(*) = 1 AND max(key) = '' THEN json_quote(max(value)) ELSE json_group_object(key, value) END AS val
    FROM series GROUP BY dev, item, ts
  ) GROUP BY dev, ts;
DROP TABLE series;
DROP INDEX IF EXISTS records_ts;
`;

// Version 2 → 3: every device so far came through an API with the ingest key.
const _FROM_V2 = "ALTER TABLE devices ADD COLUMN origin TEXT NOT NULL DEFAULT 'key'";

export function prepareSchema(db: Database): void {
  const version = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (version > _VERSION) throw new Error(`the database was written by a newer bagtower (schema ${version}; this one knows ${_VERSION})`);
  const v1 = version === 0 && db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'series'").get() !== null;
  db.transaction(() => {
    db.exec(_TABLES);
    if (v1) db.exec(_FROM_V1);
    // A version-1 or -2 devices table predates the column (_TABLES leaves an existing table as it is).
    if (db.query("SELECT 1 FROM pragma_table_info('devices') WHERE name = 'origin'").get() === null) db.exec(_FROM_V2);
    db.exec(`PRAGMA user_version = ${_VERSION}`);
  })();
}
