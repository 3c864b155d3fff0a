import type { BitReader, BitWriter } from "./bits.ts";
import { CorruptChunkError } from "./errors.ts";

/**
 * Adaptive Golomb–Rice code of signed integers (as LOCO-I / JPEG-LS codes its prediction
 * residuals; here, deltas): zigzag z, then q = z >> k in unary and the low k bits, where k follows the
 * running mean of recent |z| (A / N, halved every `_RESET` samples so it tracks a change of pace).
 * The decoder replays the same state, so no parameter is stored. A quotient of `_LIMIT` or more is
 * an escape: `_LIMIT` ones, 6 bits of z's bit length, z itself. An escape adds at most
 * `_LIMIT << k` to A, so one reboot's or gap's huge delta does not make the next hundred samples wide.
 * In place of int-code.ts's fixed classes for every integer it took bench/tsdb-codec.ts's week from
 * 49.3 to 40.5 bytes a record: a random walk's deltas sit between two classes' widths.
 */
const _LIMIT = 20;
const _RESET = 32;
const _MAX_K = 52;
const _MAX_Z = 2 ** 53 - 1;

const _POW2 = Array.from({ length: _MAX_K + 2 }, (_, k) => 2 ** k);

export class RiceState {
  private _a = 1;
  private _n = 1;
  /** The smallest k with N·2^k ≥ A, kept up to date instead of searched from 0 each sample. */
  private _kk = 0;

  private _k(): number {
    let k = this._kk;
    const a = this._a;
    const n = this._n;
    while (k < _MAX_K && n * _POW2[k]! < a) k++;
    while (k > 0 && n * _POW2[k - 1]! >= a) k--;
    this._kk = k;
    return k;
  }

  private _update(z: number, k: number): void {
    const cap = _LIMIT * _POW2[k]!;
    this._a += z < cap ? z : cap;
    if (++this._n >= _RESET) {
      this._a = Math.floor(this._a / 2);
      this._n = _RESET / 2;
    }
  }

  /** Writes `value` (|value| < 2^52). */
  write(out: BitWriter, value: number): void {
    const z = value >= 0 ? value * 2 : -value * 2 - 1;
    const k = this._k();
    const unit = _POW2[k]!;
    const q = Math.floor(z / unit);
    if (q < _LIMIT) {
      // q ones and a zero: q < 20, so one write.
      out.write(((1 << q) - 1) << 1, q + 1);
      out.writeWide(z - q * unit, k);
    } else {
      // z's bit length; escapes are rare, so a plain loop.
      let n = 1;
      while (n < 53 && _POW2[n]! <= z) n++;
      out.write((1 << _LIMIT) - 1, _LIMIT);
      out.write(n, 6);
      out.writeWide(z, n);
    }
    this._update(z, k);
  }

  read(input: BitReader): number {
    const k = this._k();
    let q = 0;
    while (q < _LIMIT && input.readBit() === 1) q++;
    let z: number;
    if (q < _LIMIT) z = q * _POW2[k]! + input.readWide(k);
    else {
      const n = input.read(6);
      if (n > 53) throw new CorruptChunkError("escaped integer is wider than 53 bits");
      z = input.readWide(n);
    }
    if (z > _MAX_Z) throw new CorruptChunkError("integer out of range");
    this._update(z, k);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
}
