/**
 * Writes `value` (a whole number, 0 ≤ value < 2^53) at `out[at]` as unsigned LEB128, 7 bits a
 * byte, low group first, in its shortest form; returns the index after it. The formats that use it
 * (chunks, rollup blocks, head rows) each read it back with the errors of their own context.
 */
export function writeLeb(out: Uint8Array, at: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    out[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[at++] = v;
  return at;
}
