import { writeLeb } from "./leb128.ts";
import { MAX_CHUNK_SAMPLES } from "./chunk.ts";
import { CorruptChunkError, InvalidSampleError } from "./errors.ts";
import { MAX_SCALE, MAX_SHIFT, pow10, readScaled, scaleOf, ScaledWriter, shiftOf, toScaled } from "./scaled.ts";
import { MAX_TIMESTAMP, readTimestamps, TimestampWriter } from "./timestamps.ts";
import { readXor, XorWriter } from "./xor.ts";

/**
 * The aggregates of one series over one bucket of a rollup tier (5 minutes, 1 hour): what a graph
 * over months needs instead of every raw sample. `start` is a multiple of the bucket's width since
 * the epoch; `last` is the value of the bucket's latest sample (a counter's rate comes from lasts).
 */
export interface Bucket {
  start: number;
  min: number;
  max: number;
  /** Rounded to the largest number of decimals among its inputs, so 23.4 + 25.1 is 48.5 (see _roundSum). */
  sum: number;
  count: number;
  last: number;
}

/** A raw sample, as aggregateToStep takes it next to buckets. */
export interface RawSample {
  ts: number;
  value: number;
}

export const ROLLUP_VERSION = 1;
/** Bucket counts above this (a block is one raw chunk's worth, a few hundred) are corruption. */
export const MAX_ROLLUP_BUCKETS = MAX_CHUNK_SAMPLES;
/** Bucket widths up to a year; wider is corruption (or a caller's bug). */
export const MAX_BUCKET_SECONDS = 366 * 86_400;
/** A bucket of a raw chunk holds at most a chunk's samples; merged buckets (a step of a year) more. */
const _MAX_COUNT = 2 ** 40;
const _CRC_BYTES = 4;
const _CODEC_XOR = 0;

/**
 * The aggregates of raw samples (ascending timestamps, as a chunk holds them) per bucket of
 * `bucketSeconds`, buckets aligned to multiples of it since the epoch; empty buckets are absent.
 */
export function rollUp(ts: ArrayLike<number>, values: ArrayLike<number>, bucketSeconds: number): Bucket[] {
  _checkWidth(bucketSeconds);
  if (ts.length !== values.length) throw new InvalidSampleError(`${ts.length} timestamps for ${values.length} values`);
  const out: Bucket[] = [];
  let bucket: Bucket | undefined;
  let decimals = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new InvalidSampleError(`sample value ${v} is not finite`);
    const start = t - _mod(t, bucketSeconds);
    if (bucket !== undefined && start < bucket.start) throw new InvalidSampleError(`sample timestamp ${t} is before the previous one`);
    if (bucket === undefined || start !== bucket.start) {
      if (bucket) out.push(_finish(bucket, decimals));
      bucket = { start, min: v, max: v, sum: v, count: 1, last: v };
      decimals = scaleOf(v, 0);
      continue;
    }
    if (v < bucket.min) bucket.min = v;
    if (v > bucket.max) bucket.max = v;
    bucket.sum += v;
    bucket.count++;
    bucket.last = v;
    decimals = _widerDecimals(decimals, v);
  }
  if (bucket) out.push(_finish(bucket, decimals));
  return out;
}

/**
 * Buckets (ascending, e.g. a series' 5-minute ones) merged into buckets of `bucketSeconds` (a
 * multiple of theirs, e.g. 3600): the 1-hour tier made from the 5-minute one.
 */
export function rollUpBuckets(buckets: readonly Bucket[], bucketSeconds: number): Bucket[] {
  _checkWidth(bucketSeconds);
  const out: Bucket[] = [];
  for (const bucket of buckets) {
    const start = bucket.start - _mod(bucket.start, bucketSeconds);
    const open = out.at(-1);
    if (open !== undefined && start < open.start) throw new InvalidSampleError(`bucket ${bucket.start} is before the previous one`);
    if (open !== undefined && open.start === start) out[out.length - 1] = mergeBucket(open, { ...bucket, start });
    else out.push({ ...bucket, start });
  }
  return out;
}

/**
 * Two partial aggregates of one bucket (same start) as one; `b`'s samples are the later ones, so
 * its `last` wins. The sum keeps the decimals of the two sums (an exact decimal stays one).
 */
export function mergeBucket(a: Bucket, b: Bucket): Bucket {
  if (a.start !== b.start) throw new InvalidSampleError(`buckets ${a.start} and ${b.start} have different starts`);
  const decimals = _widerDecimals(scaleOf(a.sum, 0), b.sum);
  return {
    start: a.start,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    sum: _roundSum(a.sum + b.sum, decimals),
    count: a.count + b.count,
    last: b.last,
  };
}

/**
 * Raw samples and/or buckets (ascending by ts/start) merged into step-wide buckets aligned to
 * multiples of `stepS`: min of mins, max of maxes, sums and counts added (avg = sum / count), the
 * last of the lasts. A raw sample counts as a bucket of one.
 */
export function aggregateToStep(rows: readonly (Bucket | RawSample)[], stepS: number): Bucket[] {
  _checkWidth(stepS);
  const out: Bucket[] = [];
  for (const row of rows) {
    const bucket: Bucket = "count" in row ? row : { start: row.ts, min: row.value, max: row.value, sum: row.value, count: 1, last: row.value };
    const start = bucket.start - _mod(bucket.start, stepS);
    // Buckets are never changed once made (the graph cache shares them), so an aligned one is kept as it is.
    const aligned = start === bucket.start ? bucket : { ...bucket, start };
    const open = out.at(-1);
    if (open !== undefined && start < open.start) throw new InvalidSampleError(`row ${bucket.start} is before the previous one`);
    if (open !== undefined && open.start === start) out[out.length - 1] = mergeBucket(open, aligned);
    else out.push(aligned);
  }
  return out;
}

/** The sum's decimals after adding `v`: the wider of the two, or −1 once an input is not a short decimal. */
function _widerDecimals(decimals: number, v: number): number {
  if (decimals < 0) return -1;
  // Only a value with more decimals than the bucket so far can widen it (scaleOf starts there).
  return toScaled(v, decimals) !== undefined ? decimals : scaleOf(v, decimals + 1);
}

function _finish(bucket: Bucket, decimals: number): Bucket {
  bucket.sum = _roundSum(bucket.sum, decimals);
  return bucket;
}

/**
 * Float addition of decimals drifts (23.4 + 25.1 = 48.49999999999999); the true sum has no more
 * decimals than its inputs, so rounding to them gives back the float nearest to it, which the
 * scaled-integer codecs store exactly. Inputs that are not decimals of ≤ 6 digits (−1) leave the
 * sum as added, as does a sum too large for the rounding to be exact.
 */
function _roundSum(sum: number, decimals: number): number {
  if (decimals < 0) return sum;
  const p = pow10(decimals);
  const m = Math.round(sum * p);
  if (!(Math.abs(m) <= Number.MAX_SAFE_INTEGER)) return sum;
  return m / p + 0;
}

function _mod(t: number, width: number): number {
  const r = t % width;
  return r < 0 ? r + width : r;
}

function _checkWidth(seconds: number): void {
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_BUCKET_SECONDS) {
    throw new InvalidSampleError(`bucket width ${seconds} is not a whole number of seconds from 1 to ${MAX_BUCKET_SECONDS}`);
  }
}

// --- the block ------------------------------------------------------------------------------------

/**
 * A run of one series' buckets of one tier as a BLOB (layout in docs/TSDB.md, "Rollups"):
 *
 *   byte 0     version (high nibble, 1) | 0
 *   LEB128     bucket width in seconds
 *   LEB128     bucket count n
 *   LEB128     first bucket's index (start / width)
 *   LEB128     byte length of the index stream, then the stream (delta-of-delta, as timestamps)
 *   column     count (n values)
 *   column     last (n values)
 *   column     min, max, sum: only of the m buckets whose count is above 1 (absent when m = 0)
 *   4 bytes    CRC-32 (IEEE, little-endian) of everything before it
 *
 * A column is a codec byte (0 XOR, 1 scaled delta, 2 scaled delta-of-delta), a scale|shift byte as
 * in a chunk, the LEB128 byte length of its stream and the stream: each column takes the smallest
 * of the chunk's value codecs. A bucket of one sample has min = max = sum = last, and at the
 * default 10-minute period every 5-minute bucket is one, so that tier costs what a raw chunk does.
 */
export function encodeRollupBlock(buckets: readonly Bucket[], bucketSeconds: number): Uint8Array {
  _checkWidth(bucketSeconds);
  const n = buckets.length;
  if (n > MAX_ROLLUP_BUCKETS) throw new InvalidSampleError(`a rollup block holds at most ${MAX_ROLLUP_BUCKETS} buckets`);
  const index = new TimestampWriter();
  const counts = new Float64Array(n);
  const lasts = new Float64Array(n);
  const multi: Bucket[] = [];
  let first = 0;
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const b = buckets[i]!;
    _checkBucket(b, bucketSeconds);
    const at = b.start / bucketSeconds;
    if (i === 0) first = at;
    else if (at <= prev) throw new InvalidSampleError(`bucket ${b.start} is not after the previous one`);
    else index.append(at - prev);
    prev = at;
    counts[i] = b.count;
    lasts[i] = b.last;
    if (b.count > 1) multi.push(b);
  }
  const parts: Uint8Array[] = [_header(bucketSeconds, n, first, index.out.view().length), index.out.view(), _column(counts), _column(lasts)];
  if (multi.length > 0) {
    parts.push(_column(Float64Array.from(multi, (b) => b.min)), _column(Float64Array.from(multi, (b) => b.max)), _column(Float64Array.from(multi, (b) => b.sum)));
  }
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(length + _CRC_BYTES);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  new DataView(out.buffer).setUint32(at, Bun.hash.crc32(out.subarray(0, at)), true);
  return out;
}

function _checkBucket(b: Bucket, width: number): void {
  // Only a refusal names the bucket: this runs for every bucket a seal writes.
  const what = () => `bucket ${b.start}`;
  if (!Number.isSafeInteger(b.start) || b.start < 0 || b.start > MAX_TIMESTAMP || b.start % width !== 0) {
    throw new InvalidSampleError(`${what()}: start is not a multiple of ${width} between 0 and ${MAX_TIMESTAMP}`);
  }
  if (!Number.isSafeInteger(b.count) || b.count < 1 || b.count > _MAX_COUNT) throw new InvalidSampleError(`${what()}: count ${b.count} is not a whole number from 1 to ${_MAX_COUNT}`);
  if (!Number.isFinite(b.min) || !Number.isFinite(b.max) || !Number.isFinite(b.sum) || !Number.isFinite(b.last)) {
    throw new InvalidSampleError(`${what()}: ${[b.min, b.max, b.sum, b.last].find((v) => !Number.isFinite(v))} is not finite`);
  }
  if (!(b.min <= b.last && b.last <= b.max)) throw new InvalidSampleError(`${what()}: last ${b.last} is not between min ${b.min} and max ${b.max}`);
  // Object.is: a bucket of one keeps -0 apart from 0 (only `last` is stored for it).
  if (b.count === 1 && !(Object.is(b.min, b.last) && Object.is(b.max, b.last) && Object.is(b.sum, b.last))) {
    throw new InvalidSampleError(`${what()}: a bucket of one sample has min = max = sum = last`);
  }
}

function _header(width: number, n: number, first: number, indexBytes: number): Uint8Array {
  const out = new Uint8Array(1 + 4 * 8);
  out[0] = ROLLUP_VERSION << 4;
  let at = 1;
  for (const value of [width, n, first, indexBytes]) at = writeLeb(out, at, value);
  return out.subarray(0, at);
}

/**
 * A column as scaled-integer deltas when every value is a short decimal, else XOR. The decoder
 * reads delta-of-delta too, but the encoder does not try it, nor XOR beside a scaled column:
 * trying all three tripled the cost of making rollups, for a few percent of their size.
 */
function _column(values: Float64Array): Uint8Array {
  let codec = _CODEC_XOR;
  let scaleByte = 0;
  let stream: Uint8Array;
  const scaled = _scaledOf(values);
  if (scaled) {
    const writer = new ScaledWriter(1);
    const ints = scaled.ints;
    for (let i = 0; i < ints.length; i++) writer.append(ints[i]!);
    codec = 1;
    scaleByte = scaled.scale | (scaled.shift << 3);
    stream = writer.out.view();
  } else {
    const xor = new XorWriter();
    for (let i = 0; i < values.length; i++) xor.append(values[i]!);
    stream = xor.out.view();
  }
  const head = new Uint8Array(2 + 8);
  head[0] = codec;
  head[1] = scaleByte;
  const at = writeLeb(head, 2, stream.length);
  const out = new Uint8Array(at + stream.length);
  out.set(head.subarray(0, at));
  out.set(stream, at);
  return out;
}

/** The column as integers × 2^shift / 10^scale, or undefined when a value is not a short decimal. */
function _scaledOf(values: Float64Array): { scale: number; shift: number; ints: Float64Array } | undefined {
  let scale = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (toScaled(v, scale) !== undefined) continue;
    scale = scaleOf(v, scale + 1);
    if (scale < 0) return undefined;
  }
  const ints = new Float64Array(values.length);
  let shift = MAX_SHIFT;
  for (let i = 0; i < values.length; i++) {
    const m = toScaled(values[i]!, scale);
    if (m === undefined) return undefined;
    ints[i] = m;
    if (shift > 0) shift = shiftOf(m, shift);
  }
  const unit = 2 ** shift;
  for (let i = 0; i < ints.length; i++) ints[i] = ints[i]! / unit;
  return { scale, shift, ints };
}


export interface RollupHeader {
  bucketSeconds: number;
  count: number;
  /** The first bucket's start (0 for an empty block). */
  firstStart: number;
}

class _Reader {
  at = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end: number,
  ) {}

  leb(what: string): number {
    let value = 0;
    let mult = 1;
    for (let i = 0; i < 8; i++) {
      if (this.at >= this.end) throw new CorruptChunkError(`rollup block ends inside the ${what}`);
      const b = this.bytes[this.at++]!;
      value += (b & 0x7f) * mult;
      if (b < 0x80) {
        if (b === 0 && i > 0) throw new CorruptChunkError(`rollup ${what} is not in its shortest form`);
        return value;
      }
      mult *= 0x80;
    }
    throw new CorruptChunkError(`rollup ${what} is too long`);
  }

  take(length: number, what: string): Uint8Array {
    if (length > this.end - this.at) throw new CorruptChunkError(`rollup ${what} runs past the block`);
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  column(count: number, what: string): Float64Array {
    if (this.end - this.at < 3) throw new CorruptChunkError(`rollup block ends before the ${what} column`);
    const codec = this.bytes[this.at++]!;
    const scaleByte = this.bytes[this.at++]!;
    const stream = this.take(this.leb(`${what} column length`), `${what} column`);
    const scale = scaleByte & 7;
    const shift = scaleByte >>> 3;
    if (codec > 2) throw new CorruptChunkError(`unknown codec ${codec} in the ${what} column`);
    if (scale > MAX_SCALE || shift > MAX_SHIFT || (codec === _CODEC_XOR && scaleByte !== 0)) throw new CorruptChunkError(`scale byte ${scaleByte} of the ${what} column is out of range`);
    // Every value after the first costs at least one bit, the first at least one (scaled) or 64 (XOR).
    if (count > 0 && count - 1 > stream.length * 8) throw new CorruptChunkError(`${what} column is shorter than its ${count} values`);
    const values = new Float64Array(count);
    if (codec === _CODEC_XOR) readXor(stream, count, values);
    else readScaled(stream, count, codec as 1 | 2, scale, shift, values);
    return values;
  }
}

function _open(bytes: Uint8Array): { reader: _Reader; header: RollupHeader; firstIndex: number; indexStream: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw new CorruptChunkError("rollup block is not a byte array");
  if (bytes.length < 5 + _CRC_BYTES) throw new CorruptChunkError(`${bytes.length} bytes is shorter than a rollup block's header`);
  const end = bytes.length - _CRC_BYTES;
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(end, true);
  if (Bun.hash.crc32(bytes.subarray(0, end)) !== stored) throw new CorruptChunkError("rollup block checksum mismatch");
  if (bytes[0] !== ROLLUP_VERSION << 4) throw new CorruptChunkError(`unknown rollup block version byte ${bytes[0]}`);
  const reader = new _Reader(bytes, end);
  reader.at = 1;
  const bucketSeconds = reader.leb("bucket width");
  const count = reader.leb("bucket count");
  const firstIndex = reader.leb("first bucket");
  const indexStream = reader.take(reader.leb("index stream length"), "index stream");
  if (bucketSeconds < 1 || bucketSeconds > MAX_BUCKET_SECONDS) throw new CorruptChunkError(`bucket width ${bucketSeconds} is out of range`);
  if (count > MAX_ROLLUP_BUCKETS) throw new CorruptChunkError(`bucket count ${count} is above ${MAX_ROLLUP_BUCKETS}`);
  if (count > 0 && count - 1 > indexStream.length * 8) throw new CorruptChunkError(`bucket count ${count} does not fit the index stream`);
  if (count === 0 && firstIndex !== 0) throw new CorruptChunkError("an empty rollup block has a first bucket");
  const firstStart = firstIndex * bucketSeconds;
  if (firstStart > MAX_TIMESTAMP) throw new CorruptChunkError("first bucket out of range");
  return { reader, header: { bucketSeconds, count, firstStart }, firstIndex, indexStream };
}

/** The header of a rollup block (after checking its checksum), without decoding its buckets. */
export function readRollupHeader(bytes: Uint8Array): RollupHeader {
  return _open(bytes).header;
}

/** The buckets of a rollup block, or CorruptChunkError: never a partial or guessed answer. */
export function decodeRollupBlock(bytes: Uint8Array): Bucket[] {
  const { reader, header, firstIndex, indexStream } = _open(bytes);
  const { bucketSeconds, count } = header;
  const index = new Float64Array(count);
  readTimestamps(indexStream, firstIndex, count, index);
  const counts = reader.column(count, "count");
  const lasts = reader.column(count, "last");
  let multi = 0;
  for (const c of counts) {
    if (!Number.isInteger(c) || c < 1 || c > _MAX_COUNT) throw new CorruptChunkError(`bucket count ${c} is out of range`);
    if (c > 1) multi++;
  }
  const mins = multi > 0 ? reader.column(multi, "min") : undefined;
  const maxes = multi > 0 ? reader.column(multi, "max") : undefined;
  const sums = multi > 0 ? reader.column(multi, "sum") : undefined;
  if (reader.at !== reader.end) throw new CorruptChunkError("rollup block runs past its columns");
  const out: Bucket[] = new Array(count);
  let j = 0;
  for (let i = 0; i < count; i++) {
    const start = index[i]! * bucketSeconds;
    if (start > MAX_TIMESTAMP) throw new CorruptChunkError("bucket start out of range");
    const last = lasts[i]!;
    const c = counts[i]!;
    if (c === 1) {
      out[i] = { start, min: last, max: last, sum: last, count: 1, last };
      continue;
    }
    const min = mins![j]!;
    const max = maxes![j]!;
    const sum = sums![j]!;
    j++;
    if (!(min <= last && last <= max)) throw new CorruptChunkError(`bucket ${start}: last is not between min and max`);
    out[i] = { start, min, max, sum, count: c, last };
  }
  return out;
}
