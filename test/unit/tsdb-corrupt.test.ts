import { describe, expect, test } from "bun:test";
import { CHUNK_VERSION, createChunkEncoder, decodeChunk, iterateChunk, readChunkHeader, type Codec } from "../../src/serve/tsdb/chunk.ts";
import { CorruptChunkError } from "../../src/serve/tsdb/errors.ts";
import { mulberry32 } from "../helpers/prng.ts";
import { resealed } from "../helpers/reseal.ts";


/** A few chunks of each codec: one-decimal percents, a counter, arbitrary floats, one sample. */
function chunks(): { name: string; bytes: Uint8Array }[] {
  const r = mulberry32(1);
  const make = (name: string, codec: Codec, n: number, value: (i: number) => number) => {
    const encoder = createChunkEncoder({ codecs: [codec] });
    let t = 1_773_773_233;
    for (let i = 0; i < n; i++) encoder.append((t += 600 + Math.floor(r() * 5) - 2), value(i));
    const bytes = encoder.bytes();
    expect(readChunkHeader(bytes).codec).toBe(codec);
    return { name, bytes };
  };
  return [
    make("percent delta", "delta", 120, () => Math.round(r() * 1000) / 10),
    make("counter dod", "dod", 240, (i) => 634_214_501 + i * 1_000_000 + Math.floor(r() * 10_000)),
    make("float xor", "xor", 120, () => r() * 100),
    make("single xor", "xor", 1, () => Math.PI),
    make("single delta", "delta", 1, () => 48.3),
  ];
}

/** Either CorruptChunkError, or a decode that is internally valid; anything else fails the test. */
function corruptOrValid(bytes: Uint8Array): "corrupt" | "valid" {
  try {
    const { ts, values } = decodeChunk(bytes);
    if (ts.length !== values.length) throw new Error(`${ts.length} timestamps for ${values.length} values`);
    for (let i = 0; i < ts.length; i++) {
      if (!Number.isSafeInteger(ts[i]!) || (i > 0 && ts[i]! <= ts[i - 1]!)) throw new Error(`timestamp ${i} is ${ts[i]} after ${ts[i - 1]}`);
      if (!Number.isFinite(values[i]!)) throw new Error(`value ${i} is ${values[i]}`);
    }
    return "valid";
  } catch (error) {
    if (error instanceof CorruptChunkError) return "corrupt";
    throw error;
  }
}

describe("corrupt chunks", () => {
  test("a chunk truncated at every byte is reported as corrupt", () => {
    for (const { name, bytes } of chunks()) {
      for (let length = 0; length < bytes.length; length++) {
        expect(() => decodeChunk(bytes.subarray(0, length)), `${name} cut at ${length}`).toThrow(CorruptChunkError);
      }
    }
  });

  test("every single flipped bit is reported as corrupt (the CRC)", () => {
    for (const { name, bytes } of chunks()) {
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        const flipped = bytes.slice();
        flipped[bit >>> 3]! ^= 0x80 >>> (bit & 7);
        expect(() => decodeChunk(flipped), `${name} bit ${bit}`).toThrow(CorruptChunkError);
      }
    }
  });

  test("an extra byte, or bytes appended, are reported as corrupt", () => {
    for (const { bytes } of chunks()) {
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      expect(() => decodeChunk(longer)).toThrow(CorruptChunkError);
    }
  });

  test("behind a matching CRC, truncated streams are corrupt, never a silent shorter series", () => {
    for (const { name, bytes } of chunks()) {
      const body = bytes.subarray(0, bytes.length - 4);
      for (let length = 0; length < body.length; length++) {
        expect(() => decodeChunk(resealed(body.subarray(0, length))), `${name} cut at ${length}`).toThrow(CorruptChunkError);
      }
    }
  });

  test("behind a matching CRC, flipped bits and random bytes give CorruptChunkError or a valid decode, never a crash or a hang", () => {
    const outcomes = { corrupt: 0, valid: 0 };
    const sources = chunks();
    for (const { bytes } of sources) {
      const body = bytes.subarray(0, bytes.length - 4);
      for (let bit = 0; bit < body.length * 8; bit++) {
        const flipped = body.slice();
        flipped[bit >>> 3]! ^= 0x80 >>> (bit & 7);
        outcomes[corruptOrValid(resealed(flipped))]++;
      }
    }
    const r = mulberry32(99);
    for (let i = 0; i < 5000; i++) {
      const source = sources[i % sources.length]!.bytes;
      const body = source.slice(0, source.length - 4);
      // Random bytes after a plausible first byte, so the decoder gets past the version check.
      const from = i % 3 === 0 ? 1 : Math.floor(r() * body.length);
      for (let j = from; j < body.length; j++) if (r() < 0.3) body[j] = Math.floor(r() * 256);
      outcomes[corruptOrValid(resealed(body))]++;
    }
    expect(outcomes.corrupt).toBeGreaterThan(0);
  });

  test("an unknown version, codec or scale is reported as corrupt", () => {
    const { bytes } = chunks()[0]!;
    const body = bytes.slice(0, bytes.length - 4);
    for (const [byte, value, message] of [
      [0, ((CHUNK_VERSION + 1) << 4) | 1, /unknown version 2/],
      [0, (CHUNK_VERSION << 4) | 7, /unknown codec 7/],
      [1, 7, /scale byte 7 is out of range/],
      [1, 25 << 3, /scale byte 200 is out of range/],
    ] as const) {
      const changed = body.slice();
      changed[byte] = value;
      expect(() => decodeChunk(resealed(changed))).toThrow(message);
    }
  });

  test("a huge count in the header is refused before anything is allocated", () => {
    const body = Uint8Array.of((CHUNK_VERSION << 4) | 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0);
    expect(() => decodeChunk(resealed(body))).toThrow(/count \d+ is above 65536/);
  });

  test("a corrupt chunk throws from iterateChunk before its first sample", () => {
    const { bytes } = chunks()[1]!;
    const flipped = bytes.slice();
    flipped[20]! ^= 1;
    const seen: unknown[] = [];
    expect(() => {
      for (const sample of iterateChunk(flipped)) seen.push(sample);
    }).toThrow(CorruptChunkError);
    expect(seen).toEqual([]);
  });

  test("something that is not a byte array is corrupt, not a TypeError", () => {
    expect(() => decodeChunk("chunk" as unknown as Uint8Array)).toThrow(CorruptChunkError);
    expect(() => decodeChunk(new Uint8Array(0))).toThrow(/0 bytes is shorter than a header/);
  });
});
