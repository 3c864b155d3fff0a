// Rollups (src/serve/tsdb/rollup.ts): buckets from raw samples equal the aggregates computed
// directly from them, 5m → 1h equals raw → 1h, and the rollup block round-trips and reports
// every corruption as CorruptChunkError. Seeded: a failure replays from its seed.
import { describe, expect, test } from "bun:test";
import { CorruptChunkError, InvalidSampleError } from "../../src/serve/tsdb/errors.ts";
import { aggregateToStep, decodeRollupBlock, encodeRollupBlock, mergeBucket, readRollupHeader, rollUp, rollUpBuckets, type Bucket } from "../../src/serve/tsdb/rollup.ts";
import { mulberry32 } from "../helpers/prng.ts";
import { resealed } from "../helpers/reseal.ts";

interface Series {
  ts: number[];
  values: number[];
}

type Kind = "percent" | "counter" | "resets" | "equal" | "huge" | "negative" | "floats" | "mixed";
const KINDS: Kind[] = ["percent", "counter", "resets", "equal", "huge", "negative", "floats", "mixed"];

/** A random series of `n` samples: periods of 10 s to 20 min with jitter, gaps up to days, values of `kind`. */
function series(seed: number, n: number, kind: Kind): Series {
  const r = mulberry32(seed);
  const period = [10, 60, 300, 600, 1200][Math.floor(r() * 5)]!;
  let t = 1_773_773_233 + Math.floor(r() * 86_400);
  let counter = Math.floor(r() * 1e9);
  const ts: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    ts.push(t);
    t += period + (r() < 0.1 ? 1 : 0) + (r() < 0.01 ? Math.floor(r() * 3 * 86_400) : 0);
    counter += Math.floor(r() * 5e6);
    let v: number;
    switch (kind) {
      case "percent":
        v = Math.round(r() * 1000) / 10;
        break;
      case "counter":
        v = counter;
        break;
      case "resets":
        if (r() < 0.02) counter = Math.floor(r() * 100);
        v = counter;
        break;
      case "equal":
        v = 42.5;
        break;
      case "huge":
        v = (r() < 0.5 ? -1 : 1) * Math.floor(r() * 2 ** 50);
        break;
      case "negative":
        v = -Math.round(r() * 1e5) / 100;
        break;
      case "floats":
        v = (r() - 0.5) * 10 ** Math.floor(r() * 20 - 10);
        break;
      case "mixed":
        v = [Math.round(r() * 100) / 10, counter, 0.1 + 0.2, -0, 1e300, Math.round(r() * 1e6) / 1e6][Math.floor(r() * 6)]!;
        break;
    }
    values.push(v);
  }
  return { ts, values };
}

/** The decimals of a short decimal (0–6), or −1: the oracle's own, by string, not the module's. */
function decimals(v: number): number {
  if (Object.is(v, -0)) return -1;
  for (let d = 0; d <= 6; d++) if (Number((v * 10 ** d).toFixed(0)) / 10 ** d === v && Number.isSafeInteger(Math.round(v * 10 ** d))) return d;
  return -1;
}

/** The aggregates straight from the samples: integers at the bucket's decimals for an exact sum. */
function oracle(s: Series, width: number): Bucket[] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < s.ts.length; i++) {
    const start = Math.floor(s.ts[i]! / width) * width;
    if (!groups.has(start)) groups.set(start, []);
    groups.get(start)!.push(s.values[i]!);
  }
  return [...groups].map(([start, vs]) => {
    const d = Math.max(...vs.map(decimals));
    let sum: number;
    if (vs.some((v) => decimals(v) < 0)) sum = vs.reduce((a, b) => a + b);
    else {
      const ints = vs.reduce((a, v) => a + BigInt(Math.round(v * 10 ** d)), 0n);
      sum = Number(ints) / 10 ** d;
    }
    return { start, min: Math.min(...vs), max: Math.max(...vs), sum, count: vs.length, last: vs.at(-1)! };
  });
}

const SIZES = [1, 2, 3, 7, 100, 1000];

describe("rollUp", () => {
  test("sums of decimals stay exact decimals: 1.1 + 2.2 is 3.3", () => {
    expect(1.1 + 2.2).not.toBe(3.3);
    expect(rollUp([0, 60], [1.1, 2.2], 300)).toEqual([{ start: 0, min: 1.1, max: 2.2, sum: 3.3, count: 2, last: 2.2 }]);
    expect(rollUp([0, 60, 120], [0.1, 0.2, 0.004], 300)[0]!.sum).toBe(0.304);
  });

  test("buckets are aligned to multiples of the width since the epoch; empty ones are absent", () => {
    const b = rollUp([299, 300, 301, 3599, 7300], [1, 2, 3, 4, 5], 300);
    expect(b.map((x) => [x.start, x.count, x.last])).toEqual([[0, 1, 1], [300, 2, 3], [3300, 1, 4], [7200, 1, 5]]);
    expect(rollUp([], [], 300)).toEqual([]);
  });

  test("equals the aggregates computed directly from random raw samples, both tiers", () => {
    let seed = 1;
    for (const kind of KINDS) {
      for (const n of SIZES) {
        const s = series(seed++, n, kind);
        for (const width of [300, 3600]) expect(rollUp(s.ts, s.values, width), `${kind} n=${n} seed=${seed - 1} width=${width}`).toEqual(oracle(s, width));
      }
    }
  });

  test("5m → 1h (through a stored block) equals raw → 1h, and days from hours equal days from raw", () => {
    let seed = 100;
    for (const kind of KINDS) {
      if (kind === "floats" || kind === "mixed") continue; // float sums depend on the order of addition
      for (const n of [...SIZES, 5000]) {
        const s = series(seed++, n, kind);
        const fiveMinutes = decodeRollupBlock(encodeRollupBlock(rollUp(s.ts, s.values, 300), 300));
        const hours = rollUpBuckets(fiveMinutes, 3600);
        expect(hours, `${kind} n=${n}`).toEqual(rollUp(s.ts, s.values, 3600));
        expect(aggregateToStep(hours, 86_400)).toEqual(rollUp(s.ts, s.values, 86_400));
      }
    }
  }, 60_000);

  test("refuses what a chunk never holds: unsorted samples, non-finite values, bad widths", () => {
    expect(() => rollUp([600, 0], [1, 2], 300)).toThrow(InvalidSampleError);
    expect(() => rollUp([0], [Number.NaN], 300)).toThrow(InvalidSampleError);
    expect(() => rollUp([0], [1, 2], 300)).toThrow(InvalidSampleError);
    for (const width of [0, -300, 1.5, Number.NaN]) expect(() => rollUp([0], [1], width)).toThrow(InvalidSampleError);
  });
});

describe("mergeBucket and aggregateToStep", () => {
  test("mergeBucket: min of mins, max of maxes, sums and counts added exactly, the later last", () => {
    const a = { start: 0, min: 1.5, max: 23.4, sum: 30.2, count: 3, last: 5.3 };
    const b = { start: 0, min: 0.7, max: 9, sum: 25.1, count: 2, last: 0.7 };
    expect(mergeBucket(a, b)).toEqual({ start: 0, min: 0.7, max: 23.4, sum: 55.3, count: 5, last: 0.7 });
    expect(() => mergeBucket(a, { ...b, start: 300 })).toThrow(InvalidSampleError);
  });

  test("raw samples and buckets into step-wide buckets", () => {
    const rows = [
      { ts: 0, value: 10 },
      { ts: 590, value: 20.5 },
      { start: 900, min: 1, max: 30, sum: 45.5, count: 3, last: 4 },
      { ts: 1300, value: 2 },
    ];
    expect(aggregateToStep(rows, 1200)).toEqual([
      { start: 0, min: 1, max: 30, sum: 76, count: 5, last: 4 },
      { start: 1200, min: 2, max: 2, sum: 2, count: 1, last: 2 },
    ]);
    // A step of the tier's own width changes nothing.
    const hours = rollUp([0, 4000, 9000], [1, 2, 3], 3600);
    expect(aggregateToStep(hours, 3600)).toEqual(hours);
    expect(aggregateToStep([], 600)).toEqual([]);
  });

  test("aggregating raw samples equals rolling them up at the step", () => {
    for (let seed = 200; seed < 210; seed++) {
      const s = series(seed, 800, "percent");
      const step = [600, 1200, 5400, 86_400][seed % 4]!;
      expect(aggregateToStep(s.ts.map((ts, i) => ({ ts, value: s.values[i]! })), step)).toEqual(rollUp(s.ts, s.values, step));
    }
  });
});

/** Random consistent buckets straight (not through rollUp): arbitrary counts, starts with gaps. */
function randomBuckets(seed: number, n: number, kind: Kind, width: number): Bucket[] {
  const r = mulberry32(seed);
  const s = series(seed, n * 3, kind);
  const out: Bucket[] = [];
  let at = Math.floor(1_773_773_233 / width) + Math.floor(r() * 1000);
  for (let i = 0; i < n; i++) {
    const vs = s.values.slice(i * 3, i * 3 + 1 + Math.floor(r() * 3));
    out.push({ ...rollUp(vs.map((_, k) => k), vs, 1_000)[0]!, start: at * width });
    at += r() < 0.9 ? 1 : 1 + Math.floor(r() * 5000);
  }
  return out;
}

describe("rollup block", () => {
  test("round-trips random buckets: gaps, resets, equal, huge, negative and arbitrary values, 1 to 10,000 buckets", () => {
    let seed = 300;
    for (const kind of KINDS) {
      for (const n of [0, 1, 2, 40, 240, 10_000]) {
        for (const width of [300, 3600]) {
          const buckets = n % 2 === 0 ? randomBuckets(seed++, n, kind, width) : rollUp(...Object.values(series(seed++, n * 2, kind)) as [number[], number[]], width);
          const blob = encodeRollupBlock(buckets, width);
          const back = decodeRollupBlock(blob);
          expect(back, `${kind} n=${n} width=${width}`).toStrictEqual(buckets);
          expect(readRollupHeader(blob)).toEqual({ bucketSeconds: width, count: buckets.length, firstStart: buckets[0]?.start ?? 0 });
        }
      }
    }
  }, 60_000);

  test("−0 and 0 stay apart, in buckets of one and of many", () => {
    const buckets = [
      { start: 0, min: -0, max: -0, sum: -0, count: 1, last: -0 },
      { start: 300, min: -0, max: 0, sum: 0, count: 2, last: 0 },
    ];
    const back = decodeRollupBlock(encodeRollupBlock(buckets, 300));
    expect(Object.is(back[0]!.last, -0)).toBe(true);
    expect(Object.is(back[1]!.min, -0)).toBe(true);
  });

  test("the encoder refuses buckets the decoder would call corrupt", () => {
    const ok = { start: 600, min: 1, max: 3, sum: 6, count: 3, last: 2 };
    const bad: [string, Bucket[], number][] = [
      ["unaligned start", [{ ...ok, start: 601 }], 300],
      ["not after the previous", [ok, ok], 300],
      ["count 0", [{ ...ok, count: 0 }], 300],
      ["last above max", [{ ...ok, last: 4 }], 300],
      ["NaN", [{ ...ok, sum: Number.NaN }], 300],
      ["one sample with min ≠ last", [{ ...ok, count: 1 }], 300],
      ["width 0", [ok], 0],
    ];
    for (const [what, buckets, width] of bad) expect(() => encodeRollupBlock(buckets, width), what).toThrow(InvalidSampleError);
  });
});

function blocks(): { name: string; bytes: Uint8Array }[] {
  return [
    { name: "5m percent", bytes: encodeRollupBlock(rollUp(...Object.values(series(1, 300, "percent")) as [number[], number[]], 300), 300) },
    { name: "1h counter", bytes: encodeRollupBlock(rollUp(...Object.values(series(2, 400, "counter")) as [number[], number[]], 3600), 3600) },
    { name: "1h mixed", bytes: encodeRollupBlock(randomBuckets(3, 50, "mixed", 3600), 3600) },
    { name: "one bucket", bytes: encodeRollupBlock([{ start: 3600, min: 1, max: 1, sum: 1, count: 1, last: 1 }], 3600) },
    { name: "empty", bytes: encodeRollupBlock([], 300) },
  ];
}

/** CorruptChunkError, or buckets that are internally consistent; anything else fails the test. */
function corruptOrValid(bytes: Uint8Array): "corrupt" | "valid" {
  try {
    const buckets = decodeRollupBlock(bytes);
    const width = readRollupHeader(bytes).bucketSeconds;
    // A consistent decode is one the encoder takes back (its checks are the invariants) and round-trips.
    expect(decodeRollupBlock(encodeRollupBlock(buckets, width))).toStrictEqual(buckets);
    return "valid";
  } catch (error) {
    if (error instanceof CorruptChunkError) return "corrupt";
    throw error;
  }
}

describe("corrupt rollup blocks", () => {
  test("truncated at every byte: CorruptChunkError", () => {
    for (const { name, bytes } of blocks()) {
      for (let length = 0; length < bytes.length; length++) expect(() => decodeRollupBlock(bytes.subarray(0, length)), `${name} cut at ${length}`).toThrow(CorruptChunkError);
    }
  });

  test("every single-byte change (each byte XOR every 1–255): CorruptChunkError", () => {
    for (const { name, bytes } of blocks()) {
      for (let at = 0; at < bytes.length; at++) {
        for (let x = 1; x < 256; x++) {
          const bad = bytes.slice();
          bad[at]! ^= x;
          let error: unknown;
          try {
            decodeRollupBlock(bad);
          } catch (e) {
            error = e;
          }
          if (!(error instanceof CorruptChunkError)) throw new Error(`${name}: byte ${at} ^ ${x} gave ${error === undefined ? "a decode" : String(error)}`);
        }
      }
    }
  }, 60_000);

  test("behind a recomputed CRC: truncations, flipped bits and random bytes give CorruptChunkError or a consistent decode", () => {
    const r = mulberry32(7);
    let corrupt = 0;
    for (const { bytes } of blocks()) {
      const body = bytes.subarray(0, bytes.length - 4);
      for (let length = 0; length < body.length; length++) if (corruptOrValid(resealed(body.subarray(0, length))) === "corrupt") corrupt++;
      for (let bit = 0; bit < body.length * 8; bit++) {
        const bad = body.slice();
        bad[bit >>> 3]! ^= 0x80 >>> (bit & 7);
        if (corruptOrValid(resealed(bad)) === "corrupt") corrupt++;
      }
    }
    for (let i = 0; i < 3000; i++) {
      const random = Uint8Array.from({ length: 1 + Math.floor(r() * 60) }, () => Math.floor(r() * 256));
      if (r() < 0.5) random[0] = 0x10;
      if (corruptOrValid(resealed(random)) === "corrupt") corrupt++;
    }
    expect(corrupt).toBeGreaterThan(3000);
  }, 60_000);

  test("not a byte array, or too short: CorruptChunkError", () => {
    expect(() => decodeRollupBlock("x" as never)).toThrow(CorruptChunkError);
    expect(() => decodeRollupBlock(new Uint8Array(3))).toThrow(CorruptChunkError);
  });
});
