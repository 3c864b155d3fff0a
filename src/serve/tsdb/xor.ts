import { BitReader, BitWriter } from "./bits.ts";
import { CorruptChunkError } from "./errors.ts";

/**
 * Gorilla's value stream (Pelkonen et al., VLDB 2015; Prometheus' XOR chunk): the first float64
 * raw, then each value XORed with the previous one: `0` when equal; `10` + the meaningful bits when
 * they fit inside the previous window of leading/trailing zeros; `11` + 5 bits of leading zeros +
 * 6 bits of length (0 meaning 64) + the meaningful bits otherwise.
 */
const _f64 = new Float64Array(1);
const _u32 = new Uint32Array(_f64.buffer);
// Little-endian hosts only (x64, arm64): word 0 is the low half of the float.
const _LO = 0;
const _HI = 1;

function _clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

function _ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function _ctz64(hi: number, lo: number): number {
  return lo !== 0 ? _ctz32(lo) : 32 + _ctz32(hi);
}

export class XorWriter {
  readonly out = new BitWriter();
  private _hi = 0;
  private _lo = 0;
  private _leading = -1;
  private _trailing = 0;
  private _started = false;

  append(value: number): void {
    _f64[0] = value;
    const hi = _u32[_HI]!;
    const lo = _u32[_LO]!;
    if (!this._started) {
      this._started = true;
      this.out.write(hi, 32);
      this.out.write(lo, 32);
    } else {
      const xh = (hi ^ this._hi) >>> 0;
      const xl = (lo ^ this._lo) >>> 0;
      if (xh === 0 && xl === 0) this.out.write(0, 1);
      else {
        let leading = _clz64(xh, xl);
        const trailing = _ctz64(xh, xl);
        // 5 bits hold at most 31 leading zeros; more are written as meaningful bits.
        if (leading > 31) leading = 31;
        if (this._leading >= 0 && leading >= this._leading && trailing >= this._trailing) {
          this.out.write(0b10, 2);
          _writeShifted(this.out, xh, xl, this._trailing, 64 - this._leading - this._trailing);
        } else {
          const bits = 64 - leading - trailing;
          this.out.write(0b11, 2);
          this.out.write(leading, 5);
          this.out.write(bits & 63, 6);
          _writeShifted(this.out, xh, xl, trailing, bits);
          this._leading = leading;
          this._trailing = trailing;
        }
      }
    }
    this._hi = hi;
    this._lo = lo;
  }
}

/** Writes `bits` bits of hi:lo after shifting it right by `shift`. */
function _writeShifted(out: BitWriter, hi: number, lo: number, shift: number, bits: number): void {
  let h = hi;
  let l = lo;
  if (shift >= 32) {
    l = hi >>> (shift - 32);
    h = 0;
  } else if (shift > 0) {
    l = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    h = hi >>> shift;
  }
  out.write64(h, l, bits);
}

/** Decodes `count` values from a stream that XorWriter wrote; the reader must end with them. */
export function readXor(bytes: Uint8Array, count: number, values: Float64Array): void {
  const input = new BitReader(bytes, "value");
  if (count === 0) return input.finish();
  let hi = input.read(32);
  let lo = input.read(32);
  let leading = -1;
  let trailing = 0;
  for (let i = 0; ; ) {
    _u32[_HI] = hi;
    _u32[_LO] = lo;
    const value = _f64[0]!;
    if (!Number.isFinite(value)) throw new CorruptChunkError("value is not finite");
    values[i] = value;
    if (++i === count) break;
    if (input.readBit() === 0) continue;
    let bits: number;
    if (input.readBit() === 0) {
      if (leading < 0) throw new CorruptChunkError("value reuses a window before one was set");
      bits = 64 - leading - trailing;
    } else {
      leading = input.read(5);
      bits = input.read(6) || 64;
      trailing = 64 - leading - bits;
      if (trailing < 0) throw new CorruptChunkError("value window is wider than 64 bits");
    }
    let xh: number;
    let xl: number;
    if (bits > 32) {
      xh = input.read(bits - 32);
      xl = input.read(32);
    } else {
      xh = 0;
      xl = input.read(bits);
    }
    // Shift left by `trailing` back into place.
    if (trailing >= 32) {
      xh = (xl << (trailing - 32)) >>> 0;
      xl = 0;
    } else if (trailing > 0) {
      xh = ((xh << trailing) | (xl >>> (32 - trailing))) >>> 0;
      xl = (xl << trailing) >>> 0;
    }
    hi = (hi ^ xh) >>> 0;
    lo = (lo ^ xl) >>> 0;
  }
  input.finish();
}
