import type { BitReader, BitWriter } from "./bits.ts";
import { CorruptChunkError } from "./errors.ts";

/**
 * The fixed-class code of a stream's first integer (a chunk's first timestamp delta, a scaled
 * stream's first value), which says nothing of the integers after it; those use the adaptive Rice
 * code. Zigzag, then a unary prefix choosing a width from `_WIDTHS`, then that many bits: 0 costs
 * one bit, the last class has no terminating 0 in its prefix. Magnitudes up to 2^52 are exact.
 */
const _WIDTHS = [0, 4, 7, 10, 14, 20, 28, 40, 53] as const;
const _LAST = _WIDTHS.length - 1;
/** The largest magnitude the code carries, so zigzag stays below 2^53. */
export const MAX_INT_CODE = 2 ** 52 - 1;

const _LIMITS = _WIDTHS.map((w) => 2 ** w);

export function writeInt(out: BitWriter, value: number): void {
  const z = value >= 0 ? value * 2 : -value * 2 - 1;
  let k = 0;
  while (z >= _LIMITS[k]!) k++;
  // Prefix: k ones then a zero (the last class ends without the zero).
  if (k < _LAST) out.write(((1 << k) - 1) << 1, k + 1);
  else out.write((1 << _LAST) - 1, _LAST);
  out.writeWide(z, _WIDTHS[k]!);
}

export function readInt(input: BitReader): number {
  let k = 0;
  while (k < _LAST && input.readBit() === 1) k++;
  const z = input.readWide(_WIDTHS[k]!);
  if (z > 2 * MAX_INT_CODE + 1) throw new CorruptChunkError("integer out of range");
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}
