import { BitReader, BitWriter } from "./bits.ts";
import { CorruptChunkError } from "./errors.ts";
import { readInt, writeInt } from "./int-code.ts";
import { RiceState } from "./rice.ts";

/**
 * Timestamps (whole unix seconds, strictly increasing) as delta-of-delta: the chunk header holds the
 * first, this stream each later one's (delta − previous delta), the first delta counting from 0.
 * An agent on a 10-minute timer repeats its delta, so most samples cost one bit; a gap of any size
 * costs one wider code and the next sample another.
 */
/** Deltas and their differences stay below 2^52, the integer code's limit. */
export const MAX_TIMESTAMP = 2 ** 51 - 1;

export class TimestampWriter {
  readonly out = new BitWriter();
  private _prevDelta = 0;
  private readonly _rice = new RiceState();

  /**
   * Appends `delta` = ts − previous ts (> 0) of the second and later samples: the first in the
   * class code (it is the period itself), the rest in the adaptive Rice code (mostly 0: one bit).
   */
  append(delta: number): void {
    const dod = delta - this._prevDelta;
    if (this._prevDelta === 0) writeInt(this.out, dod);
    else this._rice.write(this.out, dod);
    this._prevDelta = delta;
  }
}

export function readTimestamps(bytes: Uint8Array, first: number, count: number, ts: Float64Array): void {
  const input = new BitReader(bytes, "timestamp");
  if (count > 0) ts[0] = first;
  const rice = new RiceState();
  let prev = first;
  let delta = 0;
  for (let i = 1; i < count; i++) {
    delta += i === 1 ? readInt(input) : rice.read(input);
    if (delta <= 0) throw new CorruptChunkError("timestamps do not increase");
    prev += delta;
    if (prev > MAX_TIMESTAMP) throw new CorruptChunkError("timestamp out of range");
    ts[i] = prev;
  }
  input.finish();
}
