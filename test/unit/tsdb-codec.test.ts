import { describe, expect, test } from "bun:test";
import { CODECS, createChunkEncoder, decodeChunk, iterateChunk, MAX_CHUNK_SAMPLES, readChunkHeader, reopenChunk, type Codec } from "../../src/serve/tsdb/chunk.ts";
import { InvalidSampleError } from "../../src/serve/tsdb/errors.ts";
import { MAX_TIMESTAMP } from "../../src/serve/tsdb/timestamps.ts";
import { mulberry32 } from "../helpers/prng.ts";


type Random = () => number;
const int = (r: Random, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Timestamps in the shapes a fleet produces: a steady timer, jitter, gaps of any size, 1 s steps. */
function timestamps(r: Random, n: number): number[] {
  const shape = pick(r, ["steady", "jitter", "gaps", "seconds", "huge"] as const);
  const out: number[] = [];
  let t = pick(r, [0, 1, 1_700_000_000, int(r, 0, 2 ** 31)]);
  for (let i = 0; i < n; i++) {
    out.push(t);
    if (shape === "steady") t += 600;
    else if (shape === "jitter") t += 600 + int(r, -3, 3);
    else if (shape === "gaps") t += r() < 0.05 ? int(r, 601, 90 * 86_400) : 600;
    else if (shape === "seconds") t += 1;
    else t += r() < 0.1 ? int(r, 1, 2 ** 40) : int(r, 1, 1000);
  }
  return out;
}

const randomDouble = (r: Random) => {
  const view = new DataView(new ArrayBuffer(8));
  for (;;) {
    view.setUint32(0, Math.floor(r() * 2 ** 32));
    view.setUint32(4, Math.floor(r() * 2 ** 32));
    const v = view.getFloat64(0);
    if (Number.isFinite(v)) return v;
  }
};

/** Values in the shapes a device's items take, plus the edges of float64. */
function values(r: Random, n: number): { kind: string; values: number[]; decimals?: number } {
  const kind = pick(r, ["decimal-walk", "counter-resets", "kib-bytes", "equal", "huge-deltas", "near-2^53", "tiny", "random-bits", "mixed"] as const);
  const out: number[] = [];
  if (kind === "decimal-walk") {
    const decimals = int(r, 0, 6);
    const p = 10 ** decimals;
    let m = int(r, -100_000, 100_000);
    for (let i = 0; i < n; i++) {
      out.push(m / p);
      m += int(r, -500, 500);
    }
    return { kind, values: out, decimals };
  }
  if (kind === "counter-resets") {
    let c = int(r, 0, 2 ** 40);
    for (let i = 0; i < n; i++) {
      out.push(c);
      c = r() < 0.02 ? int(r, 0, 1000) : c + int(r, 0, 10_000_000);
    }
    return { kind, values: out, decimals: 0 };
  }
  if (kind === "kib-bytes") {
    // Multiples of a power of two, now and then an odd one (the shift has to come down).
    const unit = 2 ** int(r, 1, 30);
    let kib = int(r, 0, 2 ** 20);
    for (let i = 0; i < n; i++) {
      out.push(r() < 0.01 ? kib * unit + 1 : kib * unit);
      kib = Math.max(0, kib + int(r, -8000, 8000));
    }
    return { kind, values: out };
  }
  if (kind === "equal") {
    const v = pick(r, [0, 7, 48.3, -53, Math.PI]);
    return { kind, values: Array.from({ length: n }, () => v) };
  }
  if (kind === "huge-deltas") {
    let v = 0;
    for (let i = 0; i < n; i++) {
      out.push(v);
      v = r() < 0.5 ? int(r, -(2 ** 40), 2 ** 40) : v + pick(r, [2 ** 40, -(2 ** 40), 1, -1]);
    }
    return { kind, values: out, decimals: 0 };
  }
  if (kind === "near-2^53") {
    for (let i = 0; i < n; i++) out.push(pick(r, [1, -1]) * (2 ** 53 - int(r, 1, 1000)));
    return { kind, values: out };
  }
  if (kind === "tiny") {
    for (let i = 0; i < n; i++) out.push(pick(r, [5e-324, -5e-324, 1e-300, 2.2250738585072014e-308, r() * 1e-10, -0, 0]));
    return { kind, values: out };
  }
  if (kind === "random-bits") {
    for (let i = 0; i < n; i++) out.push(randomDouble(r));
    return { kind, values: out };
  }
  for (let i = 0; i < n; i++) out.push(pick(r, [0.1, 0.2, 0.30000000000000004, 1 / 3, -0, 1e15, 123.456789, -(2 ** 52), Number.MAX_VALUE, -Number.MIN_VALUE]));
  return { kind, values: out };
}

function encode(ts: number[], vs: number[], codecs?: readonly Codec[]) {
  const encoder = createChunkEncoder(codecs ? { codecs } : {});
  for (let i = 0; i < ts.length; i++) encoder.append(ts[i]!, vs[i]!);
  return encoder;
}

/** Exact equality, -0 and all: `toEqual` would let -0 pass for 0. */
function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
}

const SIZES = [1, 2, 3, 120, 240, 1000];

describe("chunk round trip (seeded random series)", () => {
  for (const size of SIZES) {
    test(`${size}-sample chunks decode to exactly the samples written, in every codec choice`, () => {
      const runs = size >= 240 ? 60 : 200;
      for (let seed = 1; seed <= runs; seed++) {
        const r = mulberry32(seed * 7919 + size);
        const ts = timestamps(r, size);
        const { kind, values: vs } = values(r, size);
        for (const codecs of [undefined, ["xor"], ["delta"], ["dod"], ["delta", "dod"]] as const) {
          const bytes = encode(ts, vs, codecs).bytes();
          const label = `seed ${seed} size ${size} ${kind} codecs ${codecs ?? "all"}`;
          const decoded = decodeChunk(bytes);
          expectSame(decoded.ts, ts, `${label} ts`);
          expectSame(decoded.values, vs, `${label} values`);
          expect(readChunkHeader(bytes)).toMatchObject({ count: size, firstTs: ts[0] });
        }
      }
    });
  }

  test("the default choice is never larger than any single codec", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = mulberry32(seed);
      const ts = timestamps(r, 240);
      const { values: vs } = values(r, 240);
      const best = encode(ts, vs).bytes().length;
      for (const codec of CODECS) expect(best).toBeLessThanOrEqual(encode(ts, vs, [codec]).bytes().length);
    }
  });

  test("exact decimals of 0–6 digits are stored as scaled integers at no more than their digits", () => {
    let checked = 0;
    for (let seed = 1; checked < 100; seed++) {
      const r = mulberry32(seed);
      const { kind, values: vs, decimals } = values(r, 120);
      if (kind !== "decimal-walk" && kind !== "counter-resets") continue;
      for (const codec of ["delta", "dod"] as const) {
        const header = readChunkHeader(encode(timestamps(r, 120), vs, [codec]).bytes());
        expect(header.codec).toBe(codec);
        expect(header.scale).toBeLessThanOrEqual(decimals!);
      }
      checked++;
    }
  });

  test("a value that is not an exact decimal falls back to XOR, even when only scaled codecs are allowed", () => {
    for (const odd of [Math.PI, 0.30000000000000004, -0, 2 ** 53 - 1, 5e-324, 1.0000001]) {
      const bytes = encode([10, 20, 30], [1.5, odd, 2], ["delta"]).bytes();
      expect(readChunkHeader(bytes).codec).toBe("xor");
      expectSame(decodeChunk(bytes).values, [1.5, odd, 2], String(odd));
    }
  });

  test("a finer scale later in the chunk re-encodes the earlier values", () => {
    const vs = [3, 4, 4.5, 4.25, 4.125, 4.0625, 17.000001];
    const bytes = encode([1, 2, 3, 4, 5, 6, 7], vs, ["delta"]).bytes();
    expect(readChunkHeader(bytes)).toMatchObject({ codec: "delta", scale: 6 });
    expectSame(decodeChunk(bytes).values, vs, "values");
  });

  test("integers with a common power of two (memory: KiB in bytes) are stored divided by it", () => {
    const vs = [3_309_162_496, 3_309_170_688, 3_308_000_256, 0, -1024 * 77];
    const bytes = encode([1, 2, 3, 4, 5], vs, ["delta"]).bytes();
    expect(readChunkHeader(bytes)).toMatchObject({ codec: "delta", scale: 0, shift: 10 });
    expectSame(decodeChunk(bytes).values, vs, "values");
    // One odd value later takes the shift back down, and the earlier values re-encode.
    const odd = encode([1, 2, 3, 4], [4096, 8192, 6, 3.5], ["delta"]).bytes();
    expect(readChunkHeader(odd)).toMatchObject({ codec: "delta", scale: 1, shift: 0 });
    expectSame(decodeChunk(odd).values, [4096, 8192, 6, 3.5], "values");
  });

  test("bytes() mid-way is a chunk of the prefix, and appending goes on after it", () => {
    const r = mulberry32(42);
    const ts = timestamps(r, 300);
    const { values: vs } = values(r, 300);
    const encoder = createChunkEncoder();
    for (let i = 0; i < 300; i++) {
      encoder.append(ts[i]!, vs[i]!);
      if (i % 37 === 0) {
        const prefix = decodeChunk(encoder.bytes());
        expectSame(prefix.ts, ts.slice(0, i + 1), `prefix ${i} ts`);
        expectSame(prefix.values, vs.slice(0, i + 1), `prefix ${i} values`);
      }
    }
    expect(encoder.count).toBe(300);
    expect(encoder.firstTs).toBe(ts[0]!);
    expect(encoder.lastTs).toBe(ts[299]!);
  });

  test("reopenChunk continues a stored head exactly as one encoder would", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = mulberry32(seed);
      const ts = timestamps(r, 200);
      const { values: vs } = values(r, 200);
      const head = encode(ts.slice(0, 77), vs.slice(0, 77)).bytes();
      const reopened = reopenChunk(head);
      for (let i = 77; i < 200; i++) reopened.append(ts[i]!, vs[i]!);
      expect(reopened.bytes()).toEqual(encode(ts, vs).bytes());
    }
  });

  test("bytes(codec) gives that codec, XOR when the values are not exact decimals, and refuses one not chosen", () => {
    const encoder = encode([1, 2, 3], [1.5, 2.5, 2]);
    for (const codec of CODECS) expect(readChunkHeader(encoder.bytes(codec)).codec).toBe(codec);
    encoder.append(4, Math.PI);
    for (const codec of CODECS) expectSame(decodeChunk(encoder.bytes(codec)).values, [1.5, 2.5, 2, Math.PI], codec);
    expect(readChunkHeader(encoder.bytes("dod")).codec).toBe("xor");
    expect(() => encode([1], [1], ["xor"]).bytes("delta")).toThrow(/codec delta was not among this encoder's codecs/);
  });

  test("the header tells the timestamp stream's length", () => {
    const steady = encode([600, 1200, 1800, 2400], [1, 2, 3, 4]).bytes();
    // The first delta (600, a 14-bit class: 19 bits) and two repeats (1 bit each): 21 bits.
    expect(readChunkHeader(steady).timestampBytes).toBe(3);
  });

  test("iterateChunk yields the samples of decodeChunk in order", () => {
    const bytes = encode([100, 700, 1300], [29.2, 29.4, 28.9]).bytes();
    expect([...iterateChunk(bytes)]).toEqual([
      { ts: 100, value: 29.2 },
      { ts: 700, value: 29.4 },
      { ts: 1300, value: 28.9 },
    ]);
  });

  test("a chunk inside a larger buffer (a view at an offset, as a driver may hand out) decodes", () => {
    const bytes = encode([100, 700, 1300], [29.2, Math.PI, 28.9]).bytes();
    const pool = new Uint8Array(bytes.length + 7);
    pool.set(bytes, 3);
    expectSame(decodeChunk(pool.subarray(3, 3 + bytes.length)).values, [29.2, Math.PI, 28.9], "values");
  });

  test("an empty encoder gives an empty chunk", () => {
    const decoded = decodeChunk(createChunkEncoder().bytes());
    expect(decoded.ts.length).toBe(0);
    expect(decoded.values.length).toBe(0);
  });

  test("a steady 10-minute series of one-decimal percents costs about a byte per sample", () => {
    const r = mulberry32(7);
    let m = 292;
    const ts: number[] = [];
    const vs: number[] = [];
    for (let i = 0; i < 240; i++) {
      ts.push(1_773_773_233 + 600 * i);
      vs.push(m / 10);
      m = Math.max(0, Math.min(1000, m + int(r, -20, 20)));
    }
    const bytes = encode(ts, vs).bytes();
    expect(readChunkHeader(bytes)).toMatchObject({ codec: "delta", scale: 1 });
    expect(bytes.length).toBeLessThanOrEqual(encode(ts, vs, ["dod"]).bytes().length);
    expect(bytes.length / 240).toBeLessThan(1.5);
    expect(encode(ts, vs, ["xor"]).bytes().length).toBeGreaterThan(bytes.length * 2);
  });
});

describe("samples the codec refuses", () => {
  const refuses = (ts: number[], vs: number[], message: RegExp) => {
    const encoder = createChunkEncoder();
    const last = ts.length - 1;
    for (let i = 0; i < last; i++) encoder.append(ts[i]!, vs[i]!);
    expect(() => encoder.append(ts[last]!, vs[last]!)).toThrow(InvalidSampleError);
    expect(() => encoder.append(ts[last]!, vs[last]!)).toThrow(message);
    // The refused sample left the chunk as it was.
    expect(encoder.count).toBe(last);
    expectSame(decodeChunk(encoder.bytes()).values, vs.slice(0, last), "values");
  };

  test("NaN and ±Infinity", () => {
    refuses([1, 2], [1, Number.NaN], /value NaN is not finite/);
    refuses([1], [Number.POSITIVE_INFINITY], /value Infinity is not finite/);
    refuses([1, 2], [0.5, Number.NEGATIVE_INFINITY], /value -Infinity is not finite/);
  });

  test("a timestamp equal to or before the previous one", () => {
    refuses([100, 100], [1, 2], /timestamp 100 is not after the previous one \(100\)/);
    refuses([100, 200, 150], [1, 2, 3], /timestamp 150 is not after the previous one \(200\)/);
  });

  test("a timestamp that is not a whole second in range", () => {
    refuses([1.5], [1], /timestamp 1.5 is not a whole second/);
    refuses([-1], [1], /timestamp -1 is not a whole second/);
    refuses([MAX_TIMESTAMP + 1], [1], /is not a whole second between 0 and/);
    refuses([Number.NaN], [1], /timestamp NaN/);
  });

  test("more samples than a chunk holds", () => {
    const encoder = createChunkEncoder();
    for (let i = 0; i < MAX_CHUNK_SAMPLES; i++) encoder.append(i, 1);
    expect(() => encoder.append(MAX_CHUNK_SAMPLES, 1)).toThrow(/a chunk holds at most 65536 samples/);
  });

  test("an unknown codec name", () => {
    expect(() => createChunkEncoder({ codecs: ["zstd" as Codec] })).toThrow(/unknown chunk codec "zstd"/);
  });
});

describe("the stored format", () => {
  // Chunks are kept on disk: a change of these bytes is a new format version, not a refactor.
  // The delta chunk, by hand: 11 (version 1, codec 1) 01 (scale 1, shift 0) 06 (count)
  // b1c3e6cd06 (1773773233) 04 (timestamp stream: 4 bytes) f0961ac0 (600 in the class code's
  // 14-bit class, then +1, −2, +1, 0 in the Rice code), the value stream, the CRC-32.
  const ts = [1773773233, 1773773833, 1773774434, 1773775033, 1773775633, 1773776233];
  const GOLDEN: Record<Codec, { values: number[]; hex: string }> = {
    delta: { values: [29.2, 29.4, 28.9, 28.9, 31, 30.5], hex: "110106b1c3e6cd0604f0961ac0e923d90ffd24e4529fc0" },
    dod: { values: [634214501, 635214501, 636224501, 637214000, 638300000, 639300000], hex: "120006b1c3e6cd0604f0961ac0fe004b9ab0cafffff7e5be1624fffff9f3883ffffd0a029fffff4af1eafffff4a9fdf09192ff52" },
    xor: { values: [0.42, Math.PI, 0.37, -53, 1e-300, 0.31], hex: "100006b1c3e6cd0604f0961ac03fdae147ae147ae1c3fffd3c0bcfa5057f9bfef47f79752b55b60fffe74b851eb851ebe00307bfb87f0be3cd663e76b915ff88508e29354671" },
  };

  for (const codec of CODECS) {
    test(`a ${codec} chunk is these bytes, and these bytes are that chunk`, () => {
      const { values: vs, hex } = GOLDEN[codec];
      const bytes = encode(ts, vs, [codec]).bytes();
      expect(Buffer.from(bytes).toString("hex")).toBe(hex);
      const decoded = decodeChunk(Uint8Array.from(Buffer.from(hex, "hex")));
      expectSame(decoded.ts, ts, "ts");
      expectSame(decoded.values, vs, "values");
    });
  }
});
