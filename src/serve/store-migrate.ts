import type { Database } from "bun:sqlite";
import { finishMigration } from "./store-schema.ts";
import { PAYLOAD_ITEM } from "./store-items.ts";
import { createChunkStore } from "./tsdb/chunk-store.ts";
import { recordIdHash } from "./tsdb/record-id-hash.ts";
import type { Retention } from "./tsdb/tiers.ts";

/**
 * Version 3 → 4 in place (store-schema.ts): every device's points rows become chunks and rollups,
 * its record ids the record series, the bodies a forward target still needs the outbox, the
 * telemetrics payloads and text values the strings history. One transaction per device, which
 * then drops that device's old rows: an interrupted migration goes on where it stopped at the next
 * start. Progress goes to `log` (serve's stderr) about every two seconds.
 */
const _PAYLOADS_KEPT = 100;
const _PROGRESS_MS = 2000;

type _Val = number | number[] | Record<string, number>;

export function migrateToChunks(db: Database, log: (line: string) => void, retention: Retention): void {
  const started = performance.now();
  const devices = db.query("SELECT dev, latest FROM devices WHERE dev IN (SELECT dev FROM points UNION SELECT dev FROM records) ORDER BY dev").all() as { dev: number; latest: string }[];
  const total = devices.length;
  if (total > 0) log(`migrating the store to compressed chunks (schema 4): ${total} device(s) to go; an interrupted migration resumes at the next start`);
  // Bodies a forward target has not sent yet keep their seq (the cursors stay valid).
  const cursor = (db.query("SELECT min(seq) AS seq FROM forward_cursor").get() as { seq: number | null }).seq;
  if (cursor !== null) db.query("INSERT OR IGNORE INTO outbox (seq, body) SELECT seq, body FROM records WHERE seq > ?").run(cursor);
  // New bodies go after every old seq, even when none was left to copy.
  db.exec("DELETE FROM sqlite_sequence WHERE name = 'outbox'; INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', coalesce(max(seq), 0) FROM records");

  const chunks = createChunkStore(db, () => {});
  // Samples already past the raw tier's retention go straight to the rollups.
  const nowS = Math.floor(Date.now() / 1000);
  const cutoffs = { rawS: nowS - retention.rawS, fiveMinuteS: nowS - retention.fiveMinuteS, hourS: nowS - retention.hourS };
  const q = {
    points: db.query<{ ts: number; vals: string }, [number]>("SELECT ts, json(vals) AS vals FROM points WHERE dev = ? ORDER BY ts"),
    records: db.query<{ ts: number; record_id: string | null }, [number]>("SELECT ts, record_id FROM records WHERE dev = ? ORDER BY ts, seq"),
    payloads: db.query<{ ts: number; payload: string }, [number, number]>("SELECT ts, payload FROM records WHERE dev = ? AND payload IS NOT NULL ORDER BY seq DESC LIMIT ?"),
    series: db.query<{ sid: number }, [number, string, string]>("INSERT INTO series (dev, item, key) VALUES (?, ?, ?) ON CONFLICT (dev, item, key) DO UPDATE SET key = excluded.key RETURNING sid"),
    text: db.query("INSERT INTO strings (dev, item, ts, val) VALUES (?, ?, ?, ?)"),
    types: db.query<{ item: string }, [number]>("SELECT item FROM items WHERE dev = ? AND type = 'string'"),
    dropPoints: db.query("DELETE FROM points WHERE dev = ?"),
    dropRecords: db.query("DELETE FROM records WHERE dev = ?"),
  };

  const one = db.transaction((dev: number, latest: string) => {
    const samples = new Map<number, { ts: number[]; values: number[] }>();
    const sids = new Map<string, number>();
    const add = (item: string, key: string, ts: number, value: number) => {
      const name = `${item}\u0000${key}`;
      let sid = sids.get(name);
      if (sid === undefined) sids.set(name, (sid = q.series.get(dev, item, key)!.sid));
      let s = samples.get(sid);
      if (!s) samples.set(sid, (s = { ts: [], values: [] }));
      s.ts.push(ts);
      s.values.push(value);
    };
    for (const row of q.points.all(dev)) {
      for (const [item, val] of Object.entries(JSON.parse(row.vals) as Record<string, _Val>)) {
        if (typeof val === "number") add(item, "", row.ts, val);
        else if (Array.isArray(val)) val.forEach((v, i) => add(item, String(i), row.ts, v));
        else for (const [key, v] of Object.entries(val)) add(item, key, row.ts, v);
      }
    }
    // The record series: one sample per second that had a record (the first id of that second).
    let previous = -1;
    for (const row of q.records.all(dev)) {
      if (row.ts === previous) continue;
      previous = row.ts;
      add("", "", row.ts, row.record_id ? recordIdHash(row.record_id) : 0);
    }
    const recordSid = sids.get("\u0000");
    for (const [sid, s] of samples) chunks.writeSamples(sid, s, sid === recordSid, cutoffs);
    // Text: the latest values (version 3 kept no history of them), and the newest payloads.
    const values = JSON.parse(latest) as Record<string, [number, unknown]>;
    for (const { item } of q.types.all(dev)) if (values[item]) q.text.run(dev, item, values[item][0], JSON.stringify(values[item][1]));
    for (const row of q.payloads.all(dev, _PAYLOADS_KEPT).reverse()) q.text.run(dev, PAYLOAD_ITEM, row.ts, JSON.stringify(row.payload));
    q.dropPoints.run(dev);
    q.dropRecords.run(dev);
  });

  let shown = performance.now();
  devices.forEach(({ dev, latest }, i) => {
    one(dev, latest);
    if (performance.now() - shown >= _PROGRESS_MS) {
      shown = performance.now();
      log(`migrating the store: ${i + 1}/${total} devices (${Math.floor(((i + 1) * 100) / total)} %), ${((shown - started) / 1000).toFixed(1)} s`);
    }
  });
  finishMigration(db);
  if (total === 0) return;
  log(`migrating the store: ${total}/${total} devices in ${((performance.now() - started) / 1000).toFixed(1)} s; reclaiming the old tables' space (VACUUM)`);
  try {
    // VACUUM rebuilds the file: with the page map the seal needs to give freed pages back.
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    db.exec("VACUUM");
  } catch (error) {
    // Not enough room for the copy VACUUM makes: the free pages are reused by new data instead.
    log(`migrating the store: VACUUM failed (${error instanceof Error ? error.message : String(error)}); the file keeps its size, and its free pages are reused`);
  }
}
