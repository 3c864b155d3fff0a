import { BitReader, BitWriter } from "./bits.ts";
import { CorruptChunkError } from "./errors.ts";
import { readInt, writeInt } from "./int-code.ts";
import { RiceState } from "./rice.ts";

/**
 * Values that are exact decimals (a percent with one decimal, a byte counter, a load average) stored
 * as integers m with value = m / 10^scale (m itself divided by 2^shift when all are multiples), then as deltas (order 1) or deltas of deltas (order 2) in
 * the variable-length integer code. Division by an exact power of ten is correctly rounded, so
 * `m / 10^scale` gives back the very float the agent sent; a value for which it does not (a binary
 * fraction, -0, a magnitude past MAX_SCALED) cannot use this codec and the chunk falls back to XOR.
 */
export const MAX_SCALE = 6;
/** Deltas of deltas of integers this large stay exact in the integer code (≤ 2^52). */
export const MAX_SCALED = 2 ** 50 - 1;
/**
 * The integers are also divided by their common power of two, up to 2^24: memory is counted in KiB
 * and reported in bytes, so its values are multiples of 1024 and ten bits of every delta are zeros.
 */
export const MAX_SHIFT = 24;

const _POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000] as const;

export function pow10(scale: number): number {
  return _POW10[scale]!;
}

/** The integer for `value` at `scale`, or undefined when it does not round-trip exactly. */
export function toScaled(value: number, scale: number): number | undefined {
  const p = _POW10[scale]!;
  const m = Math.round(value * p) + 0;
  if (!(m <= MAX_SCALED && m >= -MAX_SCALED)) return undefined;
  // m is never -0 (the + 0 above), so -0 itself fails here and stays with XOR.
  const back = m / p;
  return back === value && (back !== 0 || 1 / value > 0) ? m : undefined;
}

/** The smallest scale from `from` up that stores `value` exactly, or -1. */
export function scaleOf(value: number, from: number): number {
  for (let s = from; s <= MAX_SCALE; s++) if (toScaled(value, s) !== undefined) return s;
  return -1;
}

/** The number of trailing zero bits of the integer `m`, up to MAX_SHIFT (0 has them all). */
export function shiftOf(m: number, upTo = MAX_SHIFT): number {
  let shift = 0;
  let unit = 2;
  while (shift < upTo && m % unit === 0) {
    shift++;
    unit *= 2;
  }
  return shift;
}

export type Order = 1 | 2;

export class ScaledWriter {
  readonly out = new BitWriter();
  private _prev = 0;
  private _prevDelta = 0;
  private _count = 0;
  private readonly _rice = new RiceState();

  constructor(readonly order: Order) {}

  /**
   * Appends the integer `m` (from toScaled, divided by 2^shift). The first value is its own delta from 0, in the
   * class code (it is as wide as the value); later ones in the adaptive Rice code.
   */
  append(m: number): void {
    const delta = m - this._prev;
    this._prev = m;
    const next = this.order === 1 ? delta : delta - this._prevDelta;
    this._prevDelta = delta;
    if (this._count++ === 0) writeInt(this.out, next);
    else this._rice.write(this.out, next);
  }
}

export function readScaled(bytes: Uint8Array, count: number, order: Order, scale: number, shift: number, values: Float64Array): void {
  const input = new BitReader(bytes, "value");
  const p = _POW10[scale]!;
  const unit = 2 ** shift;
  const rice = new RiceState();
  let m = 0;
  let delta = 0;
  for (let i = 0; i < count; i++) {
    const next = i === 0 ? readInt(input) : rice.read(input);
    if (order === 1) delta = next;
    else delta += next;
    m += delta;
    const scaled = m * unit;
    if (!(scaled <= MAX_SCALED && scaled >= -MAX_SCALED)) throw new CorruptChunkError("scaled value out of range");
    values[i] = scaled / p;
  }
  input.finish();
}
