import type { Database } from "bun:sqlite";
import { latestObject, markRowsWritten } from "./device-rows.ts";
import { PAYLOAD_ITEM, RECORD_ITEM } from "./store-items.ts";
import { CorruptChunkError } from "./tsdb/errors.ts";
import { decodeHeadRow } from "./tsdb/head-row.ts";

interface _Device {
  /** The row's latest_ts before: text changes from then on are put back too. */
  rowLatestTs: number;
  latestTs: number;
  lastSeenTs: number;
  series: Map<number, { item: string; key: string }>;
  shapes: Map<string, string>;
  patch: Map<string, string>;
}

/**
 * After a crash, puts back what the devices' rows had not been given yet (device-rows.ts writes
 * them behind the records): the latest values of every record in the head after
 * device_rows_written's seq, applied in arrival order as ingest applies them (a record older than
 * the newest one kept leaves the latest values), the text items from their history, and a last
 * seen no older than those records' own time. Returns how many devices' rows it rewrote; after a
 * clean stop, none.
 */
export function rebuildLatest(db: Database, nowS: number): number {
  const stored = db.query<{ seq: number }, []>("SELECT seq FROM device_rows_written").get();
  if (!stored) {
    // A new file, or one of a bagtower that wrote every row with its record: the rows are whole.
    markRowsWritten(db, db.query<{ seq: number }, []>("SELECT coalesce(max(seq), 0) AS seq FROM head").get()!.seq);
    return 0;
  }
  const from = stored.seq;
  const rows = db.query<{ seq: number; dev: number; ts: number; vals: Uint8Array }, [number]>("SELECT seq, dev, ts, vals FROM head WHERE seq > ? ORDER BY seq").all(from);
  if (rows.length === 0) return 0;
  const devices = new Map<number, _Device>();
  const rowOf = db.query<{ latest_ts: number }, [number]>("SELECT latest_ts FROM devices WHERE dev = ?");
  const seriesOf = db.query<{ sid: number; item: string; key: string }, [number]>("SELECT sid, item, key FROM series WHERE dev = ?");
  const shapesOf = db.query<{ item: string; shape: string }, [number]>("SELECT item, shape FROM items WHERE dev = ?");
  for (const row of rows) {
    let device = devices.get(row.dev);
    if (!device) {
      const deviceRow = rowOf.get(row.dev);
      if (!deviceRow) continue;
      device = {
        rowLatestTs: deviceRow.latest_ts,
        latestTs: deviceRow.latest_ts,
        lastSeenTs: 0,
        series: new Map(seriesOf.all(row.dev).map((s) => [s.sid, { item: s.item, key: s.key }])),
        shapes: new Map(shapesOf.all(row.dev).map((s) => [s.item, s.shape])),
        patch: new Map(),
      };
      devices.set(row.dev, device);
    }
    device.lastSeenTs = Math.max(device.lastSeenTs, row.ts);
    if (row.ts < device.latestTs) continue;
    const values = new Map<string, unknown>();
    try {
      decodeHeadRow(row.vals, (sid, value) => {
        const series = device.series.get(sid);
        if (!series || series.item === RECORD_ITEM) return;
        const shape = device.shapes.get(series.item);
        if (shape === "scalar") values.set(series.item, value);
        else if (shape === "array") {
          const list = (values.get(series.item) as number[] | undefined) ?? [];
          list[Number(series.key)] = value;
          values.set(series.item, list);
        } else if (shape === "object") {
          const object = (values.get(series.item) as Record<string, number> | undefined) ?? {};
          object[series.key] = value;
          values.set(series.item, object);
        }
      });
    } catch (error) {
      // A corrupt row is reported where its samples are read (the seal, the graphs); here it gives no values.
      if (!(error instanceof CorruptChunkError)) throw error;
      continue;
    }
    device.latestTs = row.ts;
    for (const [item, value] of values) device.patch.set(item, `[${row.ts},${JSON.stringify(value)}]`);
  }
  const textsAfter = db.query<{ item: string; ts: number; val: string }, [number, number, string]>("SELECT item, ts, val FROM strings WHERE dev = ? AND ts >= ? AND item != ? ORDER BY ts, id");
  const update = db.query<never, [string, number, number, number]>("UPDATE devices SET latest = json_patch(latest, ?1), latest_ts = max(latest_ts, ?2), last_seen = max(last_seen, ?3) WHERE dev = ?4");
  const lastSeq = rows.at(-1)!.seq;
  db.transaction(() => {
    for (const [dev, device] of devices) {
      // Text items keep a history of their changes, written with the head rows: the newest wins.
      for (const text of textsAfter.all(dev, device.rowLatestTs, PAYLOAD_ITEM)) device.patch.set(text.item, `[${text.ts},${text.val}]`);
      update.run(latestObject(device.patch), device.latestTs, Math.min(nowS, device.lastSeenTs), dev);
    }
    markRowsWritten(db, lastSeq);
  })();
  return devices.size;
}
