import { writeLeb } from "./leb128.ts";
import { CorruptChunkError, InvalidSampleError } from "./errors.ts";
import { MAX_SCALE, MAX_SHIFT, readScaled, scaleOf, ScaledWriter, shiftOf, toScaled, type Order } from "./scaled.ts";
import { MAX_TIMESTAMP, readTimestamps, TimestampWriter } from "./timestamps.ts";
import { readXor, XorWriter } from "./xor.ts";

/**
 * One series' samples as a BLOB (layout in docs/TSDB.md):
 *
 *   byte 0     version (high nibble, 1) | codec (low nibble: 0 XOR, 1 scaled delta, 2 scaled delta-of-delta)
 *   byte 1     scale (low 3 bits, 0–6) | shift (high 5 bits, 0–24); 0 for XOR
 *   LEB128     sample count
 *   LEB128     first timestamp
 *   LEB128     byte length of the timestamp stream
 *   …          timestamp stream, then value stream (each a bit stream padded to whole bytes)
 *   4 bytes    CRC-32 (IEEE, little-endian) of everything before it
 *
 * The checksum is why a flipped bit on an SD card is reported instead of graphed: the streams
 * themselves have no redundancy, so most corruptions would otherwise still decode.
 */
export const CHUNK_VERSION = 1;
export const CODECS = ["xor", "delta", "dod"] as const;
export type Codec = (typeof CODECS)[number];
/** More samples than a chunk should ever hold; it bounds what a corrupt count can allocate. */
export const MAX_CHUNK_SAMPLES = 65_536;

const _CRC_BYTES = 4;
const _POW2 = Array.from({ length: MAX_SHIFT + 1 }, (_, k) => 2 ** k);

export interface ChunkEncoderOptions {
  /**
   * Codecs to choose from at bytes() (default: all three, the smallest wins). XOR is always the
   * fallback when a value is not an exact decimal, whatever this says.
   */
  codecs?: readonly Codec[];
}

export interface ChunkEncoder {
  readonly count: number;
  /** First and last timestamp appended (NaN while empty). */
  readonly firstTs: number;
  readonly lastTs: number;
  /** Adds a sample; `ts` must be a whole second after the previous one, `value` finite. */
  append(ts: number, value: number): void;
  /**
   * The chunk so far, in the smallest of the allowed codecs, or in `codec` (XOR when the values are
   * not exact decimals). Appending can go on afterwards.
   */
  bytes(codec?: Codec): Uint8Array;
}

export interface ChunkHeader {
  codec: Codec;
  /** Scaled codecs: value = integer × 2^shift / 10^scale. */
  scale: number;
  shift: number;
  count: number;
  firstTs: number;
  /** Bytes of the timestamp stream (the rest of the body is the value stream). */
  timestampBytes: number;
}

export interface DecodedChunk {
  ts: Float64Array;
  values: Float64Array;
}

export function createChunkEncoder(options: ChunkEncoderOptions = {}): ChunkEncoder {
  return new _Encoder(options.codecs ?? CODECS);
}

/** An encoder holding the samples of `bytes`, to go on appending to a stored head chunk. */
export function reopenChunk(bytes: Uint8Array, options: ChunkEncoderOptions = {}): ChunkEncoder {
  const { ts, values } = decodeChunk(bytes);
  const encoder = createChunkEncoder(options);
  for (let i = 0; i < ts.length; i++) encoder.append(ts[i]!, values[i]!);
  return encoder;
}

class _Encoder implements ChunkEncoder {
  count = 0;
  firstTs = Number.NaN;
  lastTs = Number.NaN;
  private readonly _ts = new TimestampWriter();
  private readonly _xor = new XorWriter();
  private readonly _orders: Order[];
  /** One writer per scaled order in use, or none once a value is not an exact decimal. */
  private _scaled: ScaledWriter[];
  private _scale = 0;
  private _shift = MAX_SHIFT;
  private readonly _xorAllowed: boolean;

  constructor(codecs: readonly Codec[]) {
    for (const codec of codecs) if (!CODECS.includes(codec)) throw new TypeError(`unknown chunk codec ${JSON.stringify(codec)}`);
    this._orders = [];
    if (codecs.includes("delta")) this._orders.push(1);
    if (codecs.includes("dod")) this._orders.push(2);
    this._scaled = this._orders.map((order) => new ScaledWriter(order));
    this._xorAllowed = codecs.includes("xor") || this._orders.length === 0;
  }

  append(ts: number, value: number): void {
    if (!Number.isFinite(value)) throw new InvalidSampleError(`sample value ${value} is not finite`);
    if (!Number.isSafeInteger(ts) || ts < 0 || ts > MAX_TIMESTAMP) throw new InvalidSampleError(`sample timestamp ${ts} is not a whole second between 0 and ${MAX_TIMESTAMP}`);
    if (this.count >= MAX_CHUNK_SAMPLES) throw new InvalidSampleError(`a chunk holds at most ${MAX_CHUNK_SAMPLES} samples`);
    if (this.count === 0) this.firstTs = ts;
    else if (ts <= this.lastTs) throw new InvalidSampleError(`sample timestamp ${ts} is not after the previous one (${this.lastTs})`);
    else this._ts.append(ts - this.lastTs);
    if (this._scaled.length > 0) this._appendScaled(value);
    this._xor.append(value);
    this.lastTs = ts;
    this.count++;
  }

  private _appendScaled(value: number): void {
    let scale = this._scale;
    let m = toScaled(value, scale);
    if (m === undefined) {
      scale = scaleOf(value, scale + 1);
      if (scale < 0) {
        this._scaled = [];
        return;
      }
      m = toScaled(value, scale)!;
    }
    if (this.count === 0) this._shift = shiftOf(m);
    // A finer scale multiplies the earlier integers by 10^k, so they keep their power of two.
    const shift = m % _POW2[this._shift]! === 0 ? this._shift : shiftOf(m, this._shift);
    if ((scale !== this._scale || shift !== this._shift) && !this._rescale(scale, shift)) {
      this._scaled = [];
      return;
    }
    const n = m / _POW2[shift]!;
    const writers = this._scaled;
    for (let i = 0; i < writers.length; i++) writers[i]!.append(n);
  }

  /** Re-encodes the values so far at a finer scale or a smaller shift (from the lossless XOR stream). */
  private _rescale(scale: number, shift: number): boolean {
    const values = new Float64Array(this.count);
    readXor(this._xor.out.view(), this.count, values);
    const writers = this._orders.map((order) => new ScaledWriter(order));
    const unit = 2 ** shift;
    for (const value of values) {
      const m = toScaled(value, scale);
      if (m === undefined) return false;
      for (const writer of writers) writer.append(m / unit);
    }
    this._scaled = writers;
    this._scale = scale;
    this._shift = shift;
    return true;
  }

  bytes(codec?: Codec): Uint8Array {
    if (codec !== undefined) return this._bytesAs(codec);
    // Ties go to the scaled codecs (delta first): their decoding is cheaper than XOR's.
    let chosen = 0;
    let values: Uint8Array | undefined;
    for (const writer of this._scaled) {
      const view = writer.out.view();
      if (values === undefined || view.length < values.length) {
        values = view;
        chosen = writer.order;
      }
    }
    const xor = this._xor.out.view();
    if (values === undefined || (this._xorAllowed && xor.length < values.length)) {
      values = xor;
      chosen = 0;
    }
    return this._chunk(chosen, values);
  }

  private _bytesAs(codec: Codec): Uint8Array {
    const order = CODECS.indexOf(codec);
    const writer = this._scaled.find((w) => w.order === order);
    if (writer) return this._chunk(order, writer.out.view());
    if (order > 0 && !this._orders.includes(order as Order)) throw new TypeError(`codec ${codec} was not among this encoder's codecs`);
    return this._chunk(0, this._xor.out.view());
  }

  private _chunk(codec: number, values: Uint8Array): Uint8Array {
    return _assemble(codec, codec === 0 ? 0 : this._scale | (this._shift << 3), this.count, this.count > 0 ? this.firstTs : 0, this._ts.out.view(), values);
  }
}

function _assemble(codec: number, scale: number, count: number, firstTs: number, ts: Uint8Array, values: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + 3 * 8 + ts.length + values.length + _CRC_BYTES);
  out[0] = (CHUNK_VERSION << 4) | codec;
  out[1] = scale;
  let at = 2;
  at = writeLeb(out, at, count);
  at = writeLeb(out, at, firstTs);
  at = writeLeb(out, at, ts.length);
  out.set(ts, at);
  at += ts.length;
  out.set(values, at);
  at += values.length;
  new DataView(out.buffer).setUint32(at, Bun.hash.crc32(out.subarray(0, at)), true);
  return out.slice(0, at + _CRC_BYTES);
}


interface _Cursor {
  at: number;
}

function _readLeb(bytes: Uint8Array, cursor: _Cursor, what: string): number {
  let value = 0;
  let mult = 1;
  for (let i = 0; i < 8; i++) {
    const b = bytes[cursor.at++];
    if (b === undefined) throw new CorruptChunkError(`header ends inside the ${what}`);
    value += (b & 0x7f) * mult;
    if (b < 0x80) {
      if (b === 0 && i > 0) throw new CorruptChunkError(`${what} is not in its shortest form`);
      return value;
    }
    mult *= 0x80;
  }
  throw new CorruptChunkError(`${what} is too long`);
}

/** Checks the checksum and reads the header; the streams' bytes follow at `body`. */
function _open(bytes: Uint8Array): Omit<ChunkHeader, "timestampBytes"> & { tsBytes: Uint8Array; valueBytes: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw new CorruptChunkError("not a byte array");
  if (bytes.length < 2 + 3 + _CRC_BYTES) throw new CorruptChunkError(`${bytes.length} bytes is shorter than a header`);
  const end = bytes.length - _CRC_BYTES;
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(end, true);
  if (Bun.hash.crc32(bytes.subarray(0, end)) !== stored) throw new CorruptChunkError("checksum mismatch");
  const version = bytes[0]! >>> 4;
  if (version !== CHUNK_VERSION) throw new CorruptChunkError(`unknown version ${version}`);
  const codec = CODECS[bytes[0]! & 0x0f];
  if (codec === undefined) throw new CorruptChunkError(`unknown codec ${bytes[0]! & 0x0f}`);
  const scale = bytes[1]! & 7;
  const shift = bytes[1]! >>> 3;
  if (scale > MAX_SCALE || shift > MAX_SHIFT || (codec === "xor" && bytes[1] !== 0)) throw new CorruptChunkError(`scale byte ${bytes[1]} is out of range`);
  const cursor = { at: 2 };
  const count = _readLeb(bytes, cursor, "count");
  const firstTs = _readLeb(bytes, cursor, "first timestamp");
  const tsLength = _readLeb(bytes, cursor, "timestamp stream length");
  if (cursor.at > end) throw new CorruptChunkError("header runs into the checksum");
  if (count > MAX_CHUNK_SAMPLES) throw new CorruptChunkError(`count ${count} is above ${MAX_CHUNK_SAMPLES}`);
  if (firstTs > MAX_TIMESTAMP) throw new CorruptChunkError("first timestamp out of range");
  if (tsLength > end - cursor.at) throw new CorruptChunkError("timestamp stream runs past the chunk");
  // Every sample after the first costs at least one bit in each stream.
  if (count > 0 && (count - 1 > tsLength * 8 || count - 1 > (end - cursor.at - tsLength) * 8)) throw new CorruptChunkError(`count ${count} does not fit the streams`);
  const tsBytes = bytes.subarray(cursor.at, cursor.at + tsLength);
  const valueBytes = bytes.subarray(cursor.at + tsLength, end);
  return { codec, scale, shift, count, firstTs, tsBytes, valueBytes };
}

/** The header of a chunk (after checking its checksum), without decoding its samples. */
export function readChunkHeader(bytes: Uint8Array): ChunkHeader {
  const { codec, scale, shift, count, firstTs, tsBytes } = _open(bytes);
  return { codec, scale, shift, count, firstTs, timestampBytes: tsBytes.length };
}

/** All samples of a chunk, or CorruptChunkError. */
export function decodeChunk(bytes: Uint8Array): DecodedChunk {
  const chunk = _open(bytes);
  const ts = new Float64Array(chunk.count);
  const values = new Float64Array(chunk.count);
  readTimestamps(chunk.tsBytes, chunk.firstTs, chunk.count, ts);
  if (chunk.codec === "xor") readXor(chunk.valueBytes, chunk.count, values);
  else readScaled(chunk.valueBytes, chunk.count, chunk.codec === "delta" ? 1 : 2, chunk.scale, chunk.shift, values);
  return { ts, values };
}

export interface Sample {
  ts: number;
  value: number;
}

/**
 * The samples of a chunk one by one. The whole chunk is checked and decoded before the first
 * sample comes out, so a corrupt chunk throws before anything of it reaches a graph.
 */
export function* iterateChunk(bytes: Uint8Array): Generator<Sample, void, undefined> {
  const { ts, values } = decodeChunk(bytes);
  for (let i = 0; i < ts.length; i++) yield { ts: ts[i]!, value: values[i]! };
}
