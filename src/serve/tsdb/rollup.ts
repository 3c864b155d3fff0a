// PROVISIONAL (lead's placeholder while the rollup helper writes the real module; replaced at merge).
import { createChunkEncoder, decodeChunk } from "./chunk.ts";
import { CorruptChunkError } from "./errors.ts";

export interface Bucket { start: number; min: number; max: number; sum: number; count: number; last: number }

export function rollUp(ts: ArrayLike<number>, values: ArrayLike<number>, bucketSeconds: number): Bucket[] {
  const out: Bucket[] = [];
  let b: Bucket | undefined;
  for (let i = 0; i < ts.length; i++) {
    const start = ts[i]! - (ts[i]! % bucketSeconds);
    const v = values[i]!;
    if (!b || b.start !== start) out.push((b = { start, min: v, max: v, sum: v, count: 1, last: v }));
    else { b.min = Math.min(b.min, v); b.max = Math.max(b.max, v); b.sum += v; b.count++; b.last = v; }
  }
  return out;
}

export function mergeBucket(a: Bucket, b: Bucket): Bucket {
  return { start: a.start, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), sum: a.sum + b.sum, count: a.count + b.count, last: b.last };
}

export function encodeRollupBlock(buckets: Bucket[]): Uint8Array {
  const cols = (["min", "max", "sum", "last", "count"] as const).map((k) => { const e = createChunkEncoder(); for (const b of buckets) e.append(b.start, b[k]); return e.bytes(); });
  const total = cols.reduce((n, c) => n + 4 + c.length, 0);
  const out = new Uint8Array(total); const view = new DataView(out.buffer); let at = 0;
  for (const c of cols) { view.setUint32(at, c.length, true); out.set(c, at + 4); at += 4 + c.length; }
  return out;
}

export function decodeRollupBlock(blob: Uint8Array): Bucket[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength); const cols = []; let at = 0;
  for (let i = 0; i < 5; i++) { if (at + 4 > blob.length) throw new CorruptChunkError("rollup block too short"); const n = view.getUint32(at, true); cols.push(decodeChunk(blob.subarray(at + 4, at + 4 + n))); at += 4 + n; }
  const [min, max, sum, last, count] = cols;
  return Array.from(min!.ts, (start, i) => ({ start, min: min!.values[i]!, max: max!.values[i]!, sum: sum!.values[i]!, count: count!.values[i]!, last: last!.values[i]! }));
}
