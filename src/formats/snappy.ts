// Snappy's block format (google/snappy format_description.txt), the compression Prometheus remote
// write requires (not the framing format of snappy streams). Written here rather than taken from
// npm: the block format is a varint length and a run of literal and copy elements, ~150 lines both
// ways, and a pure-JS package would bring the same code untyped, a native one would break the
// single-file cross-compiled binary.

/** Bytes one call compresses apart, as the reference encoder does: every copy offset fits in 16 bits. */
const _BLOCK = 65_536;
const _HASH_BITS = 14;
const _MIN_MATCH = 4;

/** The largest output for `n` input bytes: a literal tag for every 60 bytes plus the length's varint (snappy's MaxCompressedLength). */
export function snappyMaxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

class _Out {
  bytes: Uint8Array;
  at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  byte(...values: number[]): void {
    for (const b of values) this.bytes[this.at++] = b;
  }
  varint(n: number): void {
    while (n >= 0x80) {
      this.byte((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    this.byte(n);
  }
}

function _read32(src: Uint8Array, i: number): number {
  return (src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24)) >>> 0;
}

function _hash(word: number): number {
  return Math.imul(word, 0x1e35a7bd) >>> (32 - _HASH_BITS);
}

function _literal(out: _Out, src: Uint8Array, from: number, to: number): void {
  const n = to - from - 1;
  if (n < 0) return;
  if (n < 60) out.byte(n << 2);
  else if (n < 0x100) out.byte(60 << 2, n);
  else if (n < 0x10000) out.byte(61 << 2, n & 0xff, n >>> 8);
  else if (n < 0x1000000) out.byte(62 << 2, n & 0xff, (n >>> 8) & 0xff, n >>> 16);
  else out.byte(63 << 2, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  out.bytes.set(src.subarray(from, to), out.at);
  out.at += to - from;
}

/** A copy of `length` bytes from `offset` back; one element holds at most 64, so longer ones are split. */
function _copy(out: _Out, offset: number, length: number): void {
  // The reference encoder's split: never leave a tail under 4, which only the 2-byte form could carry.
  while (length >= 68) {
    out.byte((63 << 2) | 2, offset & 0xff, offset >>> 8);
    length -= 64;
  }
  if (length > 64) {
    out.byte((59 << 2) | 2, offset & 0xff, offset >>> 8);
    length -= 60;
  }
  if (length >= 12 || offset >= 2048) {
    out.byte(((length - 1) << 2) | 2, offset & 0xff, offset >>> 8);
  } else {
    out.byte(((offset >>> 8) << 5) | ((length - 4) << 2) | 1, offset & 0xff);
  }
}

function _compressBlock(out: _Out, src: Uint8Array, start: number, end: number, table: Int32Array): void {
  table.fill(-1);
  let literalFrom = start;
  let i = start;
  let misses = 0;
  while (i + _MIN_MATCH <= end) {
    const word = _read32(src, i);
    const h = _hash(word);
    const candidate = table[h]!;
    table[h] = i;
    if (candidate < start || _read32(src, candidate) !== word) {
      // Incompressible input is skipped over faster the longer nothing matches (the reference encoder's heuristic).
      i += 1 + (misses++ >> 5);
      continue;
    }
    misses = 0;
    let length = _MIN_MATCH;
    while (i + length < end && src[candidate + length] === src[i + length]) length++;
    _literal(out, src, literalFrom, i);
    _copy(out, i - candidate, length);
    i += length;
    literalFrom = i;
    // The position just before the jump target would otherwise never be hashed.
    if (i - 1 + _MIN_MATCH <= end) table[_hash(_read32(src, i - 1))] = i - 1;
  }
  _literal(out, src, literalFrom, end);
}

/** Compresses `src` in the snappy block format. */
export function snappyCompress(src: Uint8Array): Uint8Array {
  const out = new _Out(snappyMaxCompressedLength(src.length));
  out.varint(src.length);
  const table = new Int32Array(1 << _HASH_BITS);
  for (let start = 0; start < src.length; start += _BLOCK) _compressBlock(out, src, start, Math.min(src.length, start + _BLOCK), table);
  return out.bytes.subarray(0, out.at);
}

export class SnappyError extends Error {}

/**
 * Decompresses a snappy block; throws SnappyError on a corrupt one, and before allocating when its
 * announced length exceeds `maxLength` (a 6-byte body can claim 4 GiB).
 */
export function snappyDecompress(src: Uint8Array, maxLength = 64 * 1024 * 1024): Uint8Array {
  let i = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (i >= src.length || shift > 28) throw new SnappyError("snappy: bad length");
    const b = src[i++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > maxLength) throw new SnappyError(`snappy: ${length} bytes announced, more than ${maxLength}`);
  const out = new Uint8Array(length);
  let at = 0;
  while (i < src.length) {
    const tag = src[i++]!;
    let n: number;
    let offset: number;
    if ((tag & 3) === 0) {
      n = tag >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        if (i + extra > src.length) throw new SnappyError("snappy: truncated literal");
        n = 0;
        for (let k = 0; k < extra; k++) n += src[i + k]! * 2 ** (8 * k);
        i += extra;
      }
      n += 1;
      if (i + n > src.length || at + n > length) throw new SnappyError("snappy: literal past the end");
      out.set(src.subarray(i, i + n), at);
      i += n;
      at += n;
      continue;
    }
    if ((tag & 3) === 1) {
      if (i + 1 > src.length) throw new SnappyError("snappy: truncated copy");
      n = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[i]!;
      i += 1;
    } else if ((tag & 3) === 2) {
      if (i + 2 > src.length) throw new SnappyError("snappy: truncated copy");
      n = 1 + (tag >>> 2);
      offset = src[i]! | (src[i + 1]! << 8);
      i += 2;
    } else {
      if (i + 4 > src.length) throw new SnappyError("snappy: truncated copy");
      n = 1 + (tag >>> 2);
      offset = _read32(src, i);
      i += 4;
    }
    if (offset === 0 || offset > at || at + n > length) throw new SnappyError("snappy: copy out of range");
    // Byte by byte: a copy may overlap what it writes (offset 1, length 10 repeats one byte).
    for (let k = 0; k < n; k++, at++) out[at] = out[at - offset]!;
  }
  if (at !== length) throw new SnappyError(`snappy: ${at} bytes decoded, ${length} announced`);
  return out;
}
