import type { Database } from "bun:sqlite";

/**
 * A device's row written behind its records (docs/TSDB.md, "Device rows"). Every accepted record
 * used to UPDATE its device's row: last seen, address, and `latest`, ~2 KB of JSON, so each record
 * rewrote a whole page of the devices table (most of what serve wrote to disk per record, and a
 * third of the store's CPU). Now a record's touch is kept in memory and the rows are written at
 * most once a second, or before anything reads them: the store's readers and its DOWN check call
 * `write()` first, so no reader sees a row older than the records already answered.
 *
 * A transaction's touches are staged and join the others only when it commits: a rolled-back
 * turn leaves nothing behind. What a crash can lose is at most a second of row updates, never a
 * sample: the head keeps every record's numbers, and at start the store puts back the latest
 * values of any device whose head is newer than its row (rebuildLatest in latest-rebuild.ts).
 */
export interface DeviceTouch {
  nowS: number;
  machineId: string | null;
  hostname: string | null;
  address: string | null;
  agent: string | null;
}

interface _Pending {
  lastSeen: number;
  machineId: string | null;
  hostname: string | null;
  address: string | null;
  agent: string | null;
  /** The newest record time whose items are in `latest` (the row's latest_ts once written). */
  latestTs: number;
  /** item → `[ts,value]` as JSON text: the patch onto the row's latest. */
  latest: Map<string, string>;
}

export interface DeviceRows {
  /** Whether the device has a touch not written yet (its row says less than memory). */
  has(dev: number): boolean;
  /**
   * One record seen: its items' ids and values as JSON (`ids` null: a duplicate, which only counts as seen). `rowLatestTs` is the
   * row's latest_ts as read before this transaction; a record older than the newest one kept
   * leaves the latest values as they are. `headSeq`: the head row the record's numbers went to.
   */
  touch(dev: number, rowLatestTs: number, seen: DeviceTouch, ts: number, ids: readonly string[] | null, jsons: readonly string[], headSeq: number | null): void;
  /** The transaction committed: its touches join the pending ones. */
  commit(): void;
  /** The transaction rolled back: its touches are dropped. */
  rollback(): void;
  /** How many devices have touches not written yet. */
  readonly size: number;
  /** Writes every pending touch to its row and how far into the head that reaches, in one transaction. */
  write(): void;
}

const _merge = (into: _Pending, from: _Pending): void => {
  into.lastSeen = Math.max(into.lastSeen, from.lastSeen);
  into.machineId = from.machineId ?? into.machineId;
  into.hostname = from.hostname ?? into.hostname;
  into.address = from.address ?? into.address;
  into.agent = from.agent ?? into.agent;
  // Staged entries start from the pending one's latestTs, so theirs is never older.
  into.latestTs = from.latestTs;
  for (const [id, json] of from.latest) into.latest.set(id, json);
};

export function createDeviceRows(db: Database): DeviceRows {
  const pending = new Map<number, _Pending>();
  let staged = new Map<number, _Pending>();
  // The newest head row whose record's touch is pending (staged: in this transaction).
  let pendingSeq = 0;
  let stagedSeq = 0;
  const written = db.query<never, [number]>("INSERT INTO device_rows_written (one, seq) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET seq = max(seq, excluded.seq)");
  const update = db.query<never, [number, string | null, string | null, string | null, string | null, string | null, number, number]>(
    "UPDATE devices SET last_seen = max(last_seen, ?1), machine_id = coalesce(?2, machine_id), hostname = coalesce(?3, hostname), address = coalesce(?4, address), " +
      "status = 'UP', agent = coalesce(?5, agent), latest = CASE WHEN ?6 IS NULL THEN latest ELSE json_patch(latest, ?6) END, latest_ts = max(latest_ts, ?7) WHERE dev = ?8",
  );
  const writeAll = db.transaction(() => {
    for (const [dev, p] of pending) {
      let patch: string | null = null;
      if (p.latest.size > 0) {
        patch = "";
        // Item ids are letters, digits and _.:- (record/schema.ts): quoted as they are, they are JSON keys.
        for (const [id, json] of p.latest) patch += `,"${id}":${json}`;
        patch = `{${patch.slice(1)}}`;
      }
      update.run(p.lastSeen, p.machineId, p.hostname, p.address, p.agent, patch, p.latestTs, dev);
    }
    if (pendingSeq > 0) written.run(pendingSeq);
  });
  return {
    has: (dev) => staged.has(dev) || pending.has(dev),
    touch(dev, rowLatestTs, seen, ts, ids, jsons, headSeq) {
      if (headSeq !== null && headSeq > stagedSeq) stagedSeq = headSeq;
      let s = staged.get(dev);
      if (!s) {
        const before = pending.get(dev);
        s = { lastSeen: 0, machineId: null, hostname: null, address: null, agent: null, latestTs: before?.latestTs ?? rowLatestTs, latest: new Map() };
        staged.set(dev, s);
      }
      s.lastSeen = Math.max(s.lastSeen, seen.nowS);
      s.machineId = seen.machineId ?? s.machineId;
      s.hostname = seen.hostname ?? s.hostname;
      s.address = seen.address ?? s.address;
      s.agent = seen.agent ?? s.agent;
      if (ids === null || ts < s.latestTs) return;
      s.latestTs = ts;
      for (let i = 0; i < ids.length; i++) s.latest.set(ids[i]!, `[${ts},${jsons[i]}]`);
    },
    commit() {
      for (const [dev, s] of staged) {
        const p = pending.get(dev);
        if (p) _merge(p, s);
        else pending.set(dev, s);
      }
      staged = new Map();
      pendingSeq = Math.max(pendingSeq, stagedSeq);
      stagedSeq = 0;
    },
    rollback() {
      staged = new Map();
      stagedSeq = 0;
    },
    get size() {
      return pending.size;
    },
    write() {
      if (pending.size === 0) return;
      writeAll();
      pending.clear();
      pendingSeq = 0;
    },
  };
}
