import { CorruptChunkError } from "./errors.ts";

const _2_32 = 2 ** 32;

/**
 * An append-only bit stream, most significant bit first, padded with zero bits to whole bytes.
 * Bits gather in a 32-bit accumulator and go to the buffer a byte at a time; view() adds the
 * partial last byte.
 */
export class BitWriter {
  private _buf = new Uint8Array(32);
  /** Whole bytes in _buf. */
  private _pos = 0;
  /** The pending bits (fewer than 8 between writes), right-aligned. */
  private _acc = 0;
  private _accBits = 0;

  /** Bits written so far. */
  get bitLength(): number {
    return this._pos * 8 + this._accBits;
  }

  /** Writes the low `n` bits of the unsigned `value` (n ≤ 32). */
  write(value: number, n: number): void {
    // Keeps the accumulator within 31 bits: 7 pending + 24.
    if (n > 24) {
      this._put(value >>> 16, n - 16);
      this._put(value & 0xffff, 16);
    } else this._put(value, n);
  }

  private _put(value: number, n: number): void {
    let buf = this._buf;
    let pos = this._pos;
    if (pos + 4 > buf.length) {
      const grown = new Uint8Array(buf.length * 2);
      grown.set(buf);
      this._buf = buf = grown;
    }
    const acc = (this._acc << n) | (value & ((1 << n) - 1));
    let bits = this._accBits + n;
    while (bits >= 8) {
      bits -= 8;
      buf[pos++] = acc >>> bits;
    }
    this._pos = pos;
    this._acc = acc & ((1 << bits) - 1);
    this._accBits = bits;
  }

  /** Writes the low `n` bits (n ≤ 53) of a non-negative integer below 2^53. */
  writeWide(value: number, n: number): void {
    if (n > 32) {
      this.write(Math.floor(value / _2_32), n - 32);
      this.write(value >>> 0, 32);
    } else this.write(value >>> 0, n);
  }

  /** Writes the low `n` bits (n ≤ 64) of the 64-bit word hi:lo. */
  write64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.write(hi >>> 0, n - 32);
      this.write(lo >>> 0, 32);
    } else this.write(lo >>> 0, n);
  }

  get byteLength(): number {
    return this._pos + (this._accBits > 0 ? 1 : 0);
  }

  /** The stream's bytes (a view: copy it before the next write). */
  view(): Uint8Array {
    // The partial byte sits past _pos, where the next whole byte will overwrite it.
    if (this._accBits > 0) this._buf[this._pos] = this._acc << (8 - this._accBits);
    return this._buf.subarray(0, this.byteLength);
  }
}

/** Reads what BitWriter wrote; reading past the end is corruption, never a silent zero. */
export class BitReader {
  private readonly _buf: Uint8Array;
  private readonly _end: number;
  private _at = 0;

  constructor(buf: Uint8Array, private readonly _what: string) {
    this._buf = buf;
    this._end = buf.length * 8;
  }

  /** Reads `n` bits (n ≤ 32) as an unsigned number. */
  read(n: number): number {
    if (this._at + n > this._end) throw new CorruptChunkError(`${this._what} stream ends early`);
    const buf = this._buf;
    let at = this._at;
    let left = n;
    let out = 0;
    while (left > 0) {
      const avail = 8 - (at & 7);
      const take = avail < left ? avail : left;
      const part = (buf[at >>> 3]! >>> (avail - take)) & ((1 << take) - 1);
      out = out * (1 << take) + part;
      at += take;
      left -= take;
    }
    this._at = at;
    return out;
  }

  readBit(): number {
    const at = this._at;
    if (at >= this._end) throw new CorruptChunkError(`${this._what} stream ends early`);
    this._at = at + 1;
    return (this._buf[at >>> 3]! >>> (7 - (at & 7))) & 1;
  }

  /** Reads `n` bits (n ≤ 53) as a non-negative integer. */
  readWide(n: number): number {
    if (n > 32) {
      const hi = this.read(n - 32);
      return hi * _2_32 + this.read(32);
    }
    return this.read(n);
  }

  /**
   * The stream must end exactly here: no whole byte left over and only zero padding. A chunk whose
   * streams do not fill their lengths was not written by the encoder.
   */
  finish(): void {
    const end = this._end;
    if (end - this._at >= 8) throw new CorruptChunkError(`${this._what} stream runs past its samples`);
    if (this._at < end && this.read(end - this._at) !== 0) throw new CorruptChunkError(`${this._what} stream has non-zero padding`);
  }
}
