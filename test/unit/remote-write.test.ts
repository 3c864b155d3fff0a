// Remote write's two layers on their own: the snappy block format (both ways, with the inputs that
// break naive coders) and the WriteRequest protobuf (bytes as the .proto defines them, series merged
// across records in time order). The real receivers read it in test/e2e/remote-write.test.ts.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeRemoteWriteBody, decodeWriteRequest, encodeWriteRequest, remoteWriteBody, remoteWriteSeries } from "../../src/formats/remote-write.ts";
import { prometheusSamples } from "../../src/formats/prometheus-series.ts";
import { snappyCompress, snappyDecompress, snappyMaxCompressedLength, SnappyError } from "../../src/formats/snappy.ts";
import type { BagtowerRecord } from "../../src/record/schema.ts";
import { FIXTURES } from "../helpers/context.ts";
import { mulberry32 as seededRandom } from "../helpers/prng.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function randomBytes(n: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
}

describe("snappy block format", () => {
  test("a repeat becomes a literal and one 2-byte-offset copy, as the reference encoder writes it", () => {
    // varint 16; literal of 4 (tag (4-1)<<2); copy of 12 at offset 4 (tag (12-1)<<2 | 2, offset LE).
    expect([...snappyCompress(bytes("abcdabcdabcdabcd"))]).toEqual([0x10, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x2e, 0x04, 0x00]);
  });

  test("short copies near the start use the 1-byte-offset form", () => {
    // "abcdefgh" then "abcdefgh" again: a copy of 8 at offset 8, tag (8-4)<<2 | 1 with offset's high bits 0.
    expect([...snappyCompress(bytes("abcdefghabcdefgh"))]).toEqual([0x10, 0x1c, ...bytes("abcdefgh"), 0x11, 0x08]);
  });

  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["one byte", bytes("x")],
    ["three bytes (shorter than any match)", bytes("abc")],
    ["a run of one byte (copies overlapping what they write)", new Uint8Array(100_000).fill(7)],
    ["text", bytes("bagtower_cpu_percent{device=\"pi\",host=\"pi\"} ".repeat(5000))],
    ["random (incompressible), 300 KiB", randomBytes(300 * 1024, 1)],
    ["random then repeated across the 64 KiB block edge", (() => {
      const part = randomBytes(40_000, 2);
      const out = new Uint8Array(200_000);
      for (let i = 0; i < out.length; i += part.length) out.set(part.subarray(0, Math.min(part.length, out.length - i)), i);
      return out;
    })()],
    ["literal lengths needing 1, 2 and 3 extra bytes", new Uint8Array([...randomBytes(61, 3), ...randomBytes(300, 4), ...randomBytes(70_000, 5)])],
    ["4 MiB of mixed text and noise", (() => {
      const random = seededRandom(6);
      const out = new Uint8Array(4 * 1024 * 1024);
      const words = ["cpu", "memory", "filesystems", "_percent", "_bytes", "device=", "\"pi4\"", "1764633600000"].map(bytes);
      for (let i = 0; i < out.length; ) {
        const chunk = random() < 0.2 ? randomBytes(1 + Math.floor(random() * 20), i) : words[Math.floor(random() * words.length)]!;
        out.set(chunk.subarray(0, Math.min(chunk.length, out.length - i)), i);
        i += chunk.length;
      }
      return out;
    })()],
  ];
  for (const [name, input] of cases) {
    test(`roundtrip: ${name}`, () => {
      const compressed = snappyCompress(input);
      expect(compressed.length).toBeLessThanOrEqual(snappyMaxCompressedLength(input.length));
      expect(Buffer.from(snappyDecompress(compressed)).equals(Buffer.from(input))).toBe(true);
    });
  }

  test("redundant input shrinks; random input grows by less than the bound", () => {
    expect(snappyCompress(new Uint8Array(100_000).fill(7)).length).toBeLessThan(5_000);
    const noise = randomBytes(100_000, 9);
    expect(snappyCompress(noise).length).toBeLessThan(noise.length * 1.01);
  });

  test("hostile blocks are refused with SnappyError, before allocating what they announce", () => {
    const good = snappyCompress(bytes("abcdabcdabcdabcd hello hello hello"));
    expect(() => snappyDecompress(good.subarray(0, good.length - 3))).toThrow(SnappyError);
    expect(() => snappyDecompress(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow(/announced, more than/);
    expect(() => snappyDecompress(new Uint8Array([0x05, 0x00, 0x61, 0x01, 0x05]))).toThrow(/copy out of range/); // offset 5 before the start
    expect(() => snappyDecompress(new Uint8Array([0x05, 0x00, 0x61, 0x01, 0x00]))).toThrow(/copy out of range/); // offset 0
    expect(() => snappyDecompress(new Uint8Array([0x02, 0x08, 0x61, 0x62, 0x63]))).toThrow(SnappyError); // literal longer than announced
    expect(() => snappyDecompress(new Uint8Array([0x80]))).toThrow(/bad length/);
    expect(() => snappyDecompress(new Uint8Array([]))).toThrow(/bad length/);
  });
});

const fixture = JSON.parse(readFileSync(join(FIXTURES, "pi4", "expected.json"), "utf8")) as BagtowerRecord;
const at = (unixTimestamp: number, cpu: number): BagtowerRecord => ({
  ...fixture,
  unixTimestamp,
  data: fixture.data.map((item) => (item.id === "cpu" ? ({ ...item, val: cpu } as typeof item) : item)),
});

describe("WriteRequest protobuf", () => {
  test("bytes as remote.proto and types.proto define them", () => {
    const encoded = encodeWriteRequest([{ labels: [["__name__", "up"], ["job", "x"]], samples: [{ value: 1, timestampMs: 1000 }] }]);
    const label = (n: string, v: string) => [0x0a, 4 + n.length + v.length, 0x0a, n.length, ...bytes(n), 0x12, v.length, ...bytes(v)];
    const sample = [0x12, 12, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0xe8, 0x07]; // 1.0 as LE double; 1000 as varint
    const series = [...label("__name__", "up"), ...label("job", "x"), ...sample];
    expect([...encoded]).toEqual([0x0a, series.length, ...series]);
  });

  test("every sample of a record, with the exposition's names, labels sorted by name with __name__, the record's time in ms", () => {
    const series = remoteWriteSeries([at(1_764_633_600, 12.5)]);
    for (const one of series) expect(one.labels.map(([k]) => k)).toEqual(one.labels.map(([k]) => k).sort());
    const expected = prometheusSamples(at(1_764_633_600, 12.5));
    const names = new Set(series.map((s) => s.labels.find(([k]) => k === "__name__")![1]));
    expect(names).toEqual(new Set(expected.map((s) => s.name)));
    const cpu = expected.find((s) => s.value === 12.5)!;
    const match = series.find((s) => JSON.stringify(s.labels) === JSON.stringify([["__name__", cpu.name] as [string, string], ...cpu.labels].sort(([a], [b]) => (a < b ? -1 : 1))));
    expect(match?.samples).toEqual([{ value: 12.5, timestampMs: 1_764_633_600_000 }]);
  });

  test("several records: one series per label set, samples in time order whatever the records' order", () => {
    const records = [at(300, 3), at(100, 1), at(200, 2)];
    const series = remoteWriteSeries(records);
    expect(series.length).toBe(remoteWriteSeries([records[0]!]).length);
    const cpu = prometheusSamples(records[0]!).find((s) => s.value === 3)!;
    const one = series.find((s) => s.labels.some(([k, v]) => k === "__name__" && v === cpu.name) && s.samples.some((x) => x.value === 3))!;
    expect(one.samples).toEqual([{ value: 1, timestampMs: 100_000 }, { value: 2, timestampMs: 200_000 }, { value: 3, timestampMs: 300_000 }]);
  });

  test("an empty tag value is left out (the specification forbids empty label values)", () => {
    const series = remoteWriteSeries([{ ...at(100, 1), meta: { ...fixture.meta, tags: { site: "", room: "lab" } } }]);
    expect(series.every((s) => !s.labels.some(([, v]) => v === ""))).toBe(true);
    expect(series.every((s) => s.labels.some(([k, v]) => k === "room" && v === "lab"))).toBe(true);
  });

  test("the body decodes back (snappy, then protobuf) to the same series, unknown fields skipped", () => {
    const records = [at(100, 1), at(160, 2)];
    expect(decodeRemoteWriteBody(remoteWriteBody(records))).toEqual(remoteWriteSeries(records));
    // A metadata field (3) and an exemplar (TimeSeries field 3) as a newer sender adds them.
    const plain = encodeWriteRequest(remoteWriteSeries([at(100, 1)]));
    const withExtras = new Uint8Array([...plain, 0x1a, 0x02, 0x08, 0x01]);
    expect(decodeWriteRequest(withExtras)).toEqual(remoteWriteSeries([at(100, 1)]));
    expect(() => decodeWriteRequest(new Uint8Array([0x0a, 0x05, 0x0a]))).toThrow(/past the end/);
  });
});
