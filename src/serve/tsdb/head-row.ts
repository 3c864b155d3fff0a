import { writeLeb } from "./leb128.ts";
import { CorruptChunkError } from "./errors.ts";

/**
 * One record's numbers as the head keeps them until they are sealed into chunks: pairs of
 * (series id, value), the series ids in increasing order. Written on every ingest, so it is
 * cheap to make and small, not as small as a chunk:
 *
 *   per pair   LEB128 of the series id's step from the previous one (the first from 0)
 *              LEB128 of zigzag(m) × 8 + s, the value being m / 10^s (s 0–6, |m| < 2^47),
 *              or of 7 followed by the value's 8 bytes (IEEE 754, little-endian) when it is not
 *
 * A percent with one decimal takes 2 bytes beside its id, a byte counter 4–5. A row that does not
 * end exactly at a pair's end, or whose ids do not increase, is corrupt (decodeHeadRow throws).
 */
const _MAX_M = 2 ** 47;
const _POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
const _FLOAT = 7;
let _scratch = new Uint8Array(1024);
let _view = new DataView(_scratch.buffer);

/** Appends (sids[i], values[i]) pairs; `sids` increasing. A scratch buffer is reused across calls. */
export function encodeHeadRow(sids: ArrayLike<number>, values: ArrayLike<number>): Uint8Array {
  const need = sids.length * 19;
  if (_scratch.length < need) {
    _scratch = new Uint8Array(Math.max(need, _scratch.length * 2));
    _view = new DataView(_scratch.buffer);
  }
  const out = _scratch;
  let at = 0;
  let previous = 0;
  for (let i = 0; i < sids.length; i++) {
    const sid = sids[i]!;
    at = writeLeb(out, at, sid - previous);
    previous = sid;
    const value = values[i]!;
    let s = 0;
    for (; s < _POW10.length; s++) {
      const m = Math.round(value * _POW10[s]!);
      if (Math.abs(m) < _MAX_M && m / _POW10[s]! === value && !Object.is(value, -0)) {
        at = writeLeb(out, at, (m >= 0 ? 2 * m : -2 * m - 1) * 8 + s);
        break;
      }
    }
    if (s === _POW10.length) {
      out[at++] = _FLOAT;
      _view.setFloat64(at, value, true);
      at += 8;
    }
  }
  return out.slice(0, at);
}

/** Calls `each(sid, value)` for every pair of a head row, in order; throws CorruptChunkError. */
export function decodeHeadRow(row: Uint8Array, each: (sid: number, value: number) => void): void {
  const view = new DataView(row.buffer, row.byteOffset, row.byteLength);
  let at = 0;
  let sid = 0;
  while (at < row.length) {
    const [step, next] = _readLeb(row, at);
    if (step === 0 && at > 0) throw new CorruptChunkError("head row: series ids do not increase");
    sid += step;
    at = next;
    if (at >= row.length) throw new CorruptChunkError("head row ends after a series id");
    const [code, after] = _readLeb(row, at);
    at = after;
    const s = code % 8;
    if (s === _FLOAT) {
      if (code !== _FLOAT || at + 8 > row.length) throw new CorruptChunkError("head row: a float value runs past the row");
      each(sid, view.getFloat64(at, true));
      at += 8;
      continue;
    }
    const z = (code - s) / 8;
    const m = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    each(sid, m / _POW10[s]!);
  }
}


function _readLeb(bytes: Uint8Array, start: number): [number, number] {
  let value = 0;
  let mult = 1;
  let at = start;
  for (let i = 0; i < 8; i++) {
    const b = bytes[at++];
    if (b === undefined) throw new CorruptChunkError("head row ends inside a number");
    value += (b & 0x7f) * mult;
    if (b < 0x80) return [value, at];
    mult *= 0x80;
  }
  throw new CorruptChunkError("head row: a number is too long");
}
