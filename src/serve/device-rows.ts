import type { Database } from "bun:sqlite";

/**
 * A device's row written behind its records (docs/TSDB.md, "Device rows"). Every accepted record
 * used to UPDATE its device's row: last seen, address, and `latest`, ~2 KB of JSON, so each record
 * rewrote a whole page of the devices table (most of what serve wrote to disk per record, and a
 * third of the store's CPU). Now a record's touch is kept in memory and the rows are written at
 * most once a second, or before anything reads them: the store's readers call `write()` first, so
 * no reader sees a row older than the records already answered. The DOWN check leaves out the
 * devices with a recent pending touch instead (`pendingSeen()`), and writes first only when one of
 * those touches is itself old enough to count as silent.
 *
 * What a crash can lose is at most a second of row updates, never a sample: the head keeps every
 * record's numbers, and at start the store puts back the latest values of the records after
 * device_rows_written's seq (latest-rebuild.ts). A transaction that rolls back takes the same
 * path: its touches are forgotten with all the pending ones (`forget()`), and the store rebuilds
 * them from the head, which holds only what committed.
 */
export interface DeviceTouch {
  nowS: number;
  machineId: string | null;
  hostname: string | null;
  address: string | null;
  agent: string | null;
}

interface _Pending {
  /** When its first touch came (ms, this machine's clock, not the records'): rows are written a while after it. */
  bornMs: number;
  lastSeen: number;
  machineId: string | null;
  hostname: string | null;
  address: string | null;
  agent: string | null;
  /** The newest record time whose items are kept (the row's latest_ts once written). */
  latestTs: number;
  /**
   * The newest record that carried every item of its device (its time, ids and values; made into
   * JSON text when written): it replaces the row's latest.
   */
  wholeTs: number;
  wholeIds: readonly string[] | null;
  /** Filled in place by each whole record (its values change; its ids seldom do). */
  wholeVals: unknown[];
  /** Items of later records that carried only some (time and value), patched onto `whole` (or the row's latest). */
  some: Map<string, [ts: number, val: unknown]> | null;
}

export interface DeviceRows {
  /** Whether the device has a touch not written yet (its row says less than memory). */
  has(dev: number): boolean;
  /**
   * One record seen: its items' ids and values (`ids` null: a duplicate, which only counts as
   * seen), `whole` when they are every item its device has; `rowLatestTs` the row's latest_ts.
   * The values are made into JSON only when the row is written: a device pushing faster than once a
   * second (a spool flushed after an outage, a load test) has most of its records' latest values
   * replaced before then.
   * A record older than the newest one kept leaves the latest values as they are. `headSeq`: the
   * head row the record's numbers went to.
   */
  touch(dev: number, rowLatestTs: number, seen: DeviceTouch, ts: number, ids: readonly string[] | null, vals: readonly unknown[], whole: boolean, headSeq: number | null): void;
  /** How many devices have touches not written yet. */
  readonly size: number;
  /** The devices with touches not written yet, each with the newest time it was seen (unix seconds). */
  pendingSeen(): [dev: number, lastSeen: number][];
  /**
   * Writes pending touches to their rows in one transaction, the oldest first: all of them (and then
   * how far into the head the rows reach), or at most `limit` of those born before `bornBeforeMs`,
   * so that a second's worth of rows can be written a piece at a time between requests.
   */
  write(limit?: number, bornBeforeMs?: number): void;
  /** When the oldest pending touch was born (ms), or undefined when none is pending. */
  oldestMs(): number | undefined;
  /** Drops every pending touch (a rolled-back transaction: the store rebuilds them from the head). */
  forget(): void;
}

// Item ids are letters, digits and _.:- (record/schema.ts): quoted as they are, they are JSON keys.
const _wholeObject = (ts: number, ids: readonly string[], vals: readonly unknown[]): string => {
  let out = "";
  for (let i = 0; i < ids.length; i++) out += `,"${ids[i]}":[${ts},${JSON.stringify(vals[i])}]`;
  return `{${out.slice(1)}}`;
};
const _someObject = (some: Map<string, [ts: number, val: unknown]>): string => {
  let out = "";
  for (const [id, [ts, val]] of some) out += `,"${id}":[${ts},${JSON.stringify(val)}]`;
  return `{${out.slice(1)}}`;
};
function _sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** item → `[ts,value]` JSON text, as one object: a patch onto a row's latest, or the whole of it. */
export function latestObject(items: Map<string, string>): string {
  let out = "";
  for (const [id, json] of items) out += `,"${id}":${json}`;
  return `{${out.slice(1)}}`;
}

/** Records that the devices' rows are whole up to this head seq (it never goes back). */
export function markRowsWritten(db: Database, seq: number): void {
  db.query<never, [number]>("INSERT INTO device_rows_written (one, seq) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET seq = max(seq, excluded.seq)").run(seq);
}

export function createDeviceRows(db: Database): DeviceRows {
  const pending = new Map<number, _Pending>();
  // The newest head row whose record's touch is pending.
  let pendingSeq = 0;
  // ?6: the whole latest (no JSON to parse), or ?7: items patched onto the row's; ?8 latest_ts.
  const update = db.query<never, [number, string | null, string | null, string | null, string | null, string | null, string | null, number, number]>(
    "UPDATE devices SET last_seen = max(last_seen, ?1), machine_id = coalesce(?2, machine_id), hostname = coalesce(?3, hostname), address = coalesce(?4, address), status = 'UP', agent = coalesce(?5, agent), " +
      "latest = CASE WHEN ?6 IS NOT NULL THEN (CASE WHEN ?7 IS NULL THEN ?6 ELSE json_patch(?6, ?7) END) WHEN ?7 IS NOT NULL THEN json_patch(latest, ?7) ELSE latest END, latest_ts = max(latest_ts, ?8) WHERE dev = ?9",
  );
  /** The devices written; they leave `pending` once the transaction has committed. */
  const writeSome = db.transaction((limit: number, bornBeforeMs: number): number[] => {
    const done: number[] = [];
    // A Map iterates in insertion order, and a written entry leaves it: the oldest come first.
    for (const [dev, p] of pending) {
      if (done.length === limit || p.bornMs >= bornBeforeMs) break;
      const whole = p.wholeIds === null ? null : _wholeObject(p.wholeTs, p.wholeIds, p.wholeVals);
      update.run(p.lastSeen, p.machineId, p.hostname, p.address, p.agent, whole, p.some === null ? null : _someObject(p.some), p.latestTs, dev);
      done.push(dev);
    }
    // Whole up to pendingSeq only once no touch is left behind.
    if (done.length === pending.size && pendingSeq > 0) markRowsWritten(db, pendingSeq);
    return done;
  });
  return {
    has: (dev) => pending.has(dev),
    touch(dev, rowLatestTs, seen, ts, ids, vals, whole, headSeq) {
      if (headSeq !== null && headSeq > pendingSeq) pendingSeq = headSeq;
      let p = pending.get(dev);
      if (!p) {
        p = { bornMs: Date.now(), lastSeen: seen.nowS, machineId: null, hostname: null, address: null, agent: null, latestTs: rowLatestTs, wholeTs: 0, wholeIds: null, wholeVals: [], some: null };
        pending.set(dev, p);
      }
      if (seen.nowS > p.lastSeen) p.lastSeen = seen.nowS;
      // An equal string keeps the one held: a record's own strings then die young, with the record.
      if (seen.machineId !== null && seen.machineId !== p.machineId) p.machineId = seen.machineId;
      if (seen.hostname !== null && seen.hostname !== p.hostname) p.hostname = seen.hostname;
      if (seen.address !== null && seen.address !== p.address) p.address = seen.address;
      if (seen.agent !== null && seen.agent !== p.agent) p.agent = seen.agent;
      if (ids === null || ts < p.latestTs) return;
      p.latestTs = ts;
      if (whole) {
        // Copies of the caller's arrays (a record's text is made once a second, not per record),
        // into the arrays held: a device sends the same ids record after record.
        p.wholeTs = ts;
        if (p.wholeIds === null || !_sameIds(p.wholeIds, ids)) p.wholeIds = ids.slice();
        const held = p.wholeVals;
        held.length = vals.length;
        for (let i = 0; i < vals.length; i++) held[i] = vals[i];
        p.some = null;
        return;
      }
      p.some ??= new Map();
      for (let i = 0; i < ids.length; i++) p.some.set(ids[i]!, [ts, vals[i]]);
    },
    get size() {
      return pending.size;
    },
    pendingSeen() {
      const out: [number, number][] = [];
      for (const [dev, p] of pending) out.push([dev, p.lastSeen]);
      return out;
    },
    write(limit = Number.POSITIVE_INFINITY, bornBeforeMs = Number.POSITIVE_INFINITY) {
      if (pending.size === 0) return;
      for (const dev of writeSome(limit, bornBeforeMs)) pending.delete(dev);
      if (pending.size === 0) pendingSeq = 0;
    },
    oldestMs() {
      for (const p of pending.values()) return p.bornMs;
      return undefined;
    },
    forget() {
      pending.clear();
      pendingSeq = 0;
    },
  };
}
