import type { Database } from "bun:sqlite";
import { createChunkEncoder, decodeChunk, type DecodedChunk } from "./chunk.ts";
import { CorruptChunkError } from "./errors.ts";
import { aggregateToStep, decodeRollupBlock, encodeRollupBlock, mergeBucket, rollUp, type Bucket } from "./rollup.ts";
import { createStepCache } from "./step-cache.ts";

/**
 * The sealed samples of every series, in SQLite (tables `chunks` and `rollups`, store-schema.ts).
 * A series' raw chunks do not overlap and follow each other in time. Rollups are made when raw
 * samples leave the raw tier (freeze, from the retention job; at once for samples already older,
 * a backfill): while a chunk is raw its 5-minute and 1-hour buckets are computed from it when read,
 * so the raw tier is stored once, and a seal only encodes chunks. Frozen blocks never change again;
 * each grows by appending until it holds about _FROZEN_BLOCK_BUCKETS (_rollUp). A bucket cut by a
 * chunk or block boundary is two partial buckets, merged when read.
 */
export const ROLLUP_SECONDS = [300, 3600] as const;
export type RollupSeconds = (typeof ROLLUP_SECONDS)[number];
/** Samples a chunk holds before it may end (at an hour's end): the size bench/tsdb-codec.ts found small. */
export const CHUNK_MIN_SAMPLES = 120;
/**
 * The chunk codecs a seal tries. Delta-of-delta wins some counters' chunks (bench/tsdb-codec.ts:
 * the smallest of three is 1.29 B a sample on the week, delta or XOR alone about 1.38), but trying
 * it made encoding three times as slow; the seal takes the faster pair. The decoder reads all three.
 */
const _CODECS = ["xor", "delta"] as const;
/** Samples per chunk at most (the codec allows 65,536). */
const _CHUNK_MAX = 8192;
/** Buckets per merged (frozen) rollup block: a year of hours in a dozen blocks. */
const _FROZEN_BLOCK_BUCKETS = 1000;
/**
 * Step buckets the graph cache holds (~100 B each): a device's week, 90 days and year on the
 * dashboard, each ~20,000, with room for a few more devices.
 */
const _STEP_CACHE_BUCKETS = 100_000;

export interface Samples {
  ts: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** Unix seconds before which a tier holds nothing (retention at the time of a write). */
export interface Cutoffs {
  rawS: number;
  fiveMinuteS: number;
  hourS: number;
}

/** Where a corrupt chunk is reported: its series and start, once, then skipped. */
export type CorruptReport = (sid: number, startTs: number, what: "chunk" | "rollup", error: CorruptChunkError) => void;

export function createChunkStore(db: Database, reportCorrupt: CorruptReport) {
  const q = {
    last: db.query<{ start_ts: number; end_ts: number }, [number]>("SELECT start_ts, end_ts FROM chunks WHERE sid = ? ORDER BY start_ts DESC LIMIT 1"),
    from: db.query<{ start_ts: number; data: Uint8Array }, [number, number]>("SELECT start_ts, data FROM chunks WHERE sid = ? AND end_ts >= ? ORDER BY start_ts"),
    insert: db.query("INSERT INTO chunks (sid, start_ts, end_ts, n, data) VALUES (?, ?, ?, ?, ?)"),
    deleteFrom: db.query("DELETE FROM chunks WHERE sid = ? AND start_ts >= ?"),
    insertRollup: db.query("INSERT OR REPLACE INTO rollups (sid, tier, start_ts, end_ts, data) VALUES (?, ?, ?, ?, ?)"),
    lastBlock: db.query<{ start_ts: number; end_ts: number; data: Uint8Array }, [number, number]>("SELECT start_ts, end_ts, data FROM rollups WHERE sid = ? AND tier = ? ORDER BY start_ts DESC LIMIT 1"),
    // A chunk that ends before the cutoff starts before it too: the start bound lets the (sid, start_ts)
    // index stop at the cutoff instead of visiting every chunk of the series to read its end.
    before: db.query<{ start_ts: number; n: number; data: Uint8Array }, [number, number]>("SELECT start_ts, n, data FROM chunks WHERE sid = ?1 AND start_ts < ?2 AND end_ts < ?2 ORDER BY start_ts"),
    deleteBefore: db.query("DELETE FROM chunks WHERE sid = ?1 AND start_ts < ?2 AND end_ts < ?2"),
    range: db.query<{ start_ts: number; data: Uint8Array }, [number, number, number]>("SELECT start_ts, data FROM chunks WHERE sid = ? AND start_ts <= ? AND end_ts >= ? ORDER BY start_ts"),
    rangeRows: db.query<{ id: number; start_ts: number; bytes: number }, [number, number, number]>(
      "SELECT id, start_ts, length(data) AS bytes FROM chunks WHERE sid = ? AND start_ts <= ? AND end_ts >= ? ORDER BY start_ts",
    ),
    chunkData: db.query<{ data: Uint8Array }, [number]>("SELECT data FROM chunks WHERE id = ?"),
    rollupRows: db.query<{ id: number; start_ts: number; bytes: number }, [number, number, number, number]>(
      "SELECT id, start_ts, length(data) AS bytes FROM rollups WHERE sid = ? AND tier = ? AND start_ts <= ? AND end_ts >= ? ORDER BY start_ts",
    ),
    rollupData: db.query<{ data: Uint8Array }, [number]>("SELECT data FROM rollups WHERE id = ?"),
  };
  const cache = createStepCache(_STEP_CACHE_BUCKETS);

  function _decode(sid: number, startTs: number, data: Uint8Array): DecodedChunk | undefined {
    try {
      return decodeChunk(data);
    } catch (error) {
      if (!(error instanceof CorruptChunkError)) throw error;
      reportCorrupt(sid, startTs, "chunk", error);
      return undefined;
    }
  }

  function _decodeBlock(sid: number, startTs: number, data: Uint8Array): Bucket[] | undefined {
    try {
      return decodeRollupBlock(data);
    } catch (error) {
      if (!(error instanceof CorruptChunkError)) throw error;
      reportCorrupt(sid, startTs, "rollup", error);
      return undefined;
    }
  }

  /**
   * Chunks for sorted, distinct samples: a chunk ends with the last sample of an hour once it holds
   * CHUNK_MIN_SAMPLES (so buckets rarely straddle two chunks), or at _CHUNK_MAX samples. A piece
   * already older than the raw tier (and not the record series) goes straight to the rollups.
   */
  function _write(sid: number, ts: ArrayLike<number>, values: ArrayLike<number>, record: boolean, cutoffs: Cutoffs): void {
    let from = 0;
    for (let i = 0; i < ts.length; i++) {
      const n = i - from + 1;
      const next = ts[i + 1];
      if (next !== undefined && n < _CHUNK_MAX && (n < CHUNK_MIN_SAMPLES || Math.floor(ts[i]! / 3600) === Math.floor(next / 3600))) continue;
      if (!record && ts[i]! < cutoffs.rawS) _rollUp(sid, Array.prototype.slice.call(ts, from, i + 1) as number[], Array.prototype.slice.call(values, from, i + 1) as number[], cutoffs);
      else _chunk(sid, ts, values, from, i + 1);
      from = i + 1;
    }
  }

  function _chunk(sid: number, ts: ArrayLike<number>, values: ArrayLike<number>, from: number, to: number): void {
    cache.dropSid(sid);
    const encoder = createChunkEncoder({ codecs: _CODECS });
    for (let i = from; i < to; i++) encoder.append(ts[i]!, values[i]!);
    q.insert.run(sid, ts[from]!, ts[to - 1]!, to - from, encoder.bytes());
  }

  /**
   * The samples' buckets in each tier that still keeps samples this old: appended to the series'
   * newest block of the tier while it has room and ends before them (frozen blocks grow to about
   * _FROZEN_BLOCK_BUCKETS, so a year's graph reads a dozen rows), else a block of their own keyed
   * by their first second.
   */
  function _rollUp(sid: number, ts: number[], values: number[], cutoffs: Cutoffs): void {
    cache.dropSid(sid);
    const start = ts[0]!;
    const end = ts.at(-1)!;
    for (const tier of ROLLUP_SECONDS) {
      if (end < (tier === 300 ? cutoffs.fiveMinuteS : cutoffs.hourS)) continue;
      let buckets = rollUp(ts, values, tier);
      const last = q.lastBlock.get(sid, tier);
      const before = last && last.end_ts < start ? _decodeBlock(sid, last.start_ts, last.data) : undefined;
      if (last && before && before.length + buckets.length <= _FROZEN_BLOCK_BUCKETS) {
        const tail = before.at(-1);
        if (tail && tail.start === buckets[0]!.start) {
          before[before.length - 1] = mergeBucket(tail, buckets[0]!);
          buckets = buckets.slice(1);
        }
        q.insertRollup.run(sid, tier, last.start_ts, end, encodeRollupBlock(before.concat(buckets), tier));
      } else q.insertRollup.run(sid, tier, start, end, encodeRollupBlock(buckets, tier));
    }
  }

  return {
    /**
     * Seals samples of one series (sorted by time, distinct times). After the series' last chunk:
     * new chunks. Otherwise (late samples) the chunks from the first affected one on are decoded,
     * merged with them (a new sample replaces one at the same second) and written again. `record`
     * for the record series, which is never rolled up (deduplication reads its raw samples).
     */
    writeSamples(sid: number, samples: Samples, record: boolean, cutoffs: Cutoffs): void {
      const { ts, values } = samples;
      if (ts.length === 0) return;
      const last = q.last.get(sid);
      if (!last || ts[0]! > last.end_ts) {
        _write(sid, ts, values, record, cutoffs);
        return;
      }
      const merged = new Map<number, number>();
      const affected = q.from.all(sid, ts[0]!);
      for (const row of affected) {
        const chunk = _decode(sid, row.start_ts, row.data);
        if (chunk) for (let i = 0; i < chunk.ts.length; i++) merged.set(chunk.ts[i]!, chunk.values[i]!);
      }
      for (let i = 0; i < ts.length; i++) merged.set(ts[i]!, values[i]!);
      const from = Math.min(ts[0]!, affected[0]?.start_ts ?? ts[0]!);
      cache.dropSid(sid);
      q.deleteFrom.run(sid, from);
      const times = [...merged.keys()].sort((a, b) => a - b);
      _write(sid, times, times.map((t) => merged.get(t)!), record, cutoffs);
    },

    /**
     * The series' raw chunks that end before the raw tier's cutoff become rollup blocks (those the
     * coarser tiers still keep), and leave. Returns the samples that left the raw tier.
     */
    freeze(sid: number, cutoffs: Cutoffs): number {
      let samples = 0;
      for (const row of q.before.all(sid, cutoffs.rawS)) {
        const chunk = _decode(sid, row.start_ts, row.data);
        if (chunk) _rollUp(sid, Array.from(chunk.ts), Array.from(chunk.values), cutoffs);
        samples += row.n;
      }
      cache.dropSid(sid);
      q.deleteBefore.run(sid, cutoffs.rawS);
      return samples;
    },

    /** The raw samples of a series in [fromS, toS], in time order (corrupt chunks reported and skipped). */
    readRaw(sid: number, fromS: number, toS: number, out: { ts: number[]; values: number[] }): void {
      for (const row of q.range.all(sid, toS, fromS)) {
        const chunk = _decode(sid, row.start_ts, row.data);
        if (!chunk) continue;
        for (let i = 0; i < chunk.ts.length; i++) {
          const t = chunk.ts[i]!;
          if (t >= fromS && t <= toS) {
            out.ts.push(t);
            out.values.push(chunk.values[i]!);
          }
        }
      }
    },

    /**
     * The series' buckets of `stepS` (a multiple of the tier's width) over the sealed rows that
     * reach [fromS, toS], in order: its frozen blocks of the tier, then its raw chunks rolled up to
     * the tier as they are read (the two never cover the same samples), each row's buckets
     * aggregated to the step. A step bucket cut by a row boundary comes twice; the caller merges
     * them (aggregateToStep). Each row's step buckets are cached (step-cache.ts).
     */
    readStepBuckets(sid: number, tier: RollupSeconds, fromS: number, toS: number, stepS: number): Bucket[] {
      const out: Bucket[] = [];
      // A row's step buckets from the cache, else from its blob (read only then) as `tierBuckets` makes them.
      const add = (kind: RollupSeconds | "raw", row: { id: number; start_ts: number; bytes: number }, data: (id: number) => Uint8Array | undefined, tierBuckets: (data: Uint8Array) => Bucket[] | undefined) => {
        const key = cache.key(sid, kind, row.start_ts, row.bytes, stepS);
        let buckets = cache.get(key);
        if (buckets === undefined) {
          const blob = data(row.id);
          buckets = aggregateToStep((blob && tierBuckets(blob)) ?? [], stepS);
          cache.set(sid, key, buckets);
        }
        for (const b of buckets) out.push(b);
      };
      for (const row of q.rollupRows.all(sid, tier, toS, fromS)) {
        add(tier, row, (id) => q.rollupData.get(id)?.data, (blob) => _decodeBlock(sid, row.start_ts, blob));
      }
      for (const row of q.rangeRows.all(sid, toS, fromS - tier)) {
        add("raw", row, (id) => q.chunkData.get(id)?.data, (blob) => {
          const chunk = _decode(sid, row.start_ts, blob);
          return chunk && rollUp(chunk.ts, chunk.values, tier);
        });
      }
      return out;
    },
  };
}

export type ChunkStore = ReturnType<typeof createChunkStore>;
