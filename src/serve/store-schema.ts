import type { Database } from "bun:sqlite";

/**
 * The receiver's tables (SPEC §9), version 4 in `PRAGMA user_version` (docs/TSDB.md):
 * - devices: one row per device, with `latest` = {item: [unixTimestamp, val]} of its newest values
 *   and `origin`, how it was created: `key` (an API with the ingest key) or `open` (a keyless
 *   pattoo post under --pattoo-open, which may never write to a `key` device), and `agent`, the
 *   meta.agent of its latest record (`bagtower/0.1.0`, `telegraf`…);
 * - items: each device's items with their type, shape and keys (rewritten only when those change);
 * - series: one row per (device, item, key) of numbers, and one per device for its records
 *   (item '' and key ''; its samples' values are the records' id hashes, for deduplication);
 * - head: every accepted record's numbers (tsdb/head-row.ts) until a seal moves them into chunks:
 *   an append-only log, so an ingest writes at its end;
 * - chunks, rollups: the sealed samples, compressed (tsdb/chunk.ts), and their 5-minute and
 *   1-hour aggregates (tsdb/rollup.ts), per series;
 * - strings: the text items' values when they change, and the telemetrics payloads, for a while;
 * - outbox: the bodies that a forward target has not sent yet (only with forward targets); its seq
 *   never goes back (AUTOINCREMENT), as the targets' cursors point into it even when it is empty;
 * - device_rows_written: one row, the head seq up to which the devices' rows are written (they are
 *   written behind the records, device-rows.ts; a start after a crash puts back what came after).
 * Version 3 kept every record's body (records) and a JSONB row of its numbers (points): about
 * 2,700 bytes a record. Versions 1–3 are migrated at start (store-migrate.ts).
 */
const _VERSION = 4;

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
  origin TEXT NOT NULL DEFAULT 'key',
  agent TEXT
);
CREATE TABLE IF NOT EXISTS items (
  dev INTEGER NOT NULL,
  item TEXT NOT NULL,
  type TEXT NOT NULL,
  shape TEXT NOT NULL,
  keys TEXT NOT NULL,
  PRIMARY KEY (dev, item)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series (
  sid INTEGER PRIMARY KEY,
  dev INTEGER NOT NULL,
  item TEXT NOT NULL,
  key TEXT NOT NULL,
  UNIQUE (dev, item, key)
);
CREATE TABLE IF NOT EXISTS head (
  seq INTEGER PRIMARY KEY,
  dev INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  rid INTEGER NOT NULL,
  vals BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY,
  sid INTEGER NOT NULL,
  start_ts INTEGER NOT NULL,
  end_ts INTEGER NOT NULL,
  n INTEGER NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (sid, start_ts)
);
CREATE TABLE IF NOT EXISTS rollups (
  id INTEGER PRIMARY KEY,
  sid INTEGER NOT NULL,
  tier INTEGER NOT NULL,
  start_ts INTEGER NOT NULL,
  end_ts INTEGER NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (sid, tier, start_ts)
);
CREATE TABLE IF NOT EXISTS strings (
  id INTEGER PRIMARY KEY,
  dev INTEGER NOT NULL,
  item TEXT NOT NULL,
  ts INTEGER NOT NULL,
  val TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS strings_dev_item_ts ON strings (dev, item, ts);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS forward_cursor (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_rows_written (one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL);
`;

/** Version 3's tables, which versions 1 and 2 are first brought to (the migration to 4 reads them). */
const _V3_TABLES = `
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  record_id TEXT UNIQUE,
  dev INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  received INTEGER NOT NULL,
  body TEXT NOT NULL,
  payload TEXT
);
CREATE TABLE IF NOT EXISTS points (
  dev INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  vals BLOB NOT NULL,
  PRIMARY KEY (dev, ts)
);
`;

// Version 1 → 2, after _V3_TABLES has added the points table (and version 1's series table was
// renamed out of version 4's way): series rows grouped into one points row
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
    FROM series_v1 GROUP BY dev, item, ts
  ) GROUP BY dev, ts;
DROP TABLE series_v1;
DROP INDEX IF EXISTS records_ts;
`;

// Version 2 → 3: every device so far came through an API with the ingest key.
const _FROM_V2 = "ALTER TABLE devices ADD COLUMN origin TEXT NOT NULL DEFAULT 'key'";

/**
 * Creates the tables, or brings a version 1–3 database to version 3's layout with version 4's
 * tables beside it. Returns true when version 3's records and points are still to be moved into
 * version 4's (store-migrate.ts does it, resumably: the version stays 3 until it is done).
 */
export function prepareSchema(db: Database): boolean {
  const version = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (version > _VERSION) throw new Error(`the database was written by a newer bagtower (schema ${version}; this one knows ${_VERSION})`);
  const v1 = version === 0 && db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'series' AND sql LIKE '%value%'").get() !== null;
  const old = version > 0 && version < _VERSION;
  db.transaction(() => {
    if (v1) db.exec("ALTER TABLE series RENAME TO series_v1");
    db.exec(_TABLES);
    if (v1 || old) db.exec(_V3_TABLES);
    if (v1) db.exec(_FROM_V1.replaceAll("FROM series GROUP BY", "FROM series_v1 GROUP BY").replace("DROP TABLE series_v1;", "DROP TABLE series_v1;"));
    // A version-1 or -2 devices table predates the column (_TABLES leaves an existing table as it is).
    if (db.query("SELECT 1 FROM pragma_table_info('devices') WHERE name = 'origin'").get() === null) db.exec(_FROM_V2);
    // Versions before 4 did not keep the agent that sent a device's latest record.
    if (db.query("SELECT 1 FROM pragma_table_info('devices') WHERE name = 'agent'").get() === null) db.exec("ALTER TABLE devices ADD COLUMN agent TEXT");
    db.exec(`PRAGMA user_version = ${v1 || old ? 3 : _VERSION}`);
  })();
  return v1 || old;
}

/** Marks the migration done: version 3's tables are gone. */
export function finishMigration(db: Database): void {
  db.exec(`DROP TABLE IF EXISTS records; DROP TABLE IF EXISTS points; PRAGMA user_version = ${_VERSION}`);
}
