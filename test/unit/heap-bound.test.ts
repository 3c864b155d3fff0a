// serve's heap bound (src/serve/heap-bound.ts): a batch collects first once the heap has grown by
// GROWTH_BYTES since the last collection, at most once per MIN_GAP_MS; a single record never does.
import { fullGC, heapSize } from "bun:jsc";
import { expect, test } from "bun:test";
import { BATCH_RECORDS, createHeapBound, GROWTH_BYTES, MIN_GAP_MS } from "../../src/serve/heap-bound.ts";

function fake() {
  const s = { bytes: 10 * 2 ** 20, ms: 0, collections: 0, after: 10 * 2 ** 20 };
  const bound = createHeapBound(
    () => s.bytes,
    () => {
      s.collections++;
      s.bytes = s.after;
    },
    () => s.ms,
  );
  return { s, bound };
}

test("a single record or a small request never collects, however much the heap grew", () => {
  const { s, bound } = fake();
  s.bytes += 10 * GROWTH_BYTES;
  s.ms = 10_000;
  bound.beforeStore(1);
  bound.beforeStore(BATCH_RECORDS - 1);
  expect(s.collections).toBe(0);
});

test("a batch collects once the heap grew by the bound, then not again within the gap", () => {
  const { s, bound } = fake();
  s.ms = 10_000;
  s.bytes += GROWTH_BYTES - 1;
  bound.beforeStore(BATCH_RECORDS);
  expect(s.collections).toBe(0);
  s.bytes += 1;
  bound.beforeStore(500);
  expect(s.collections).toBe(1);
  s.bytes = s.after + 2 * GROWTH_BYTES;
  s.ms += MIN_GAP_MS - 1;
  bound.beforeStore(500);
  expect(s.collections).toBe(1);
  s.ms += 1;
  bound.beforeStore(500);
  expect(s.collections).toBe(2);
});

test("growth counts from the smallest heap seen since the last collection (the runtime's own collections too)", () => {
  const { s, bound } = fake();
  s.ms = 10_000;
  s.bytes = 4 * 2 ** 20; // the runtime collected on its own
  bound.beforeStore(500);
  s.bytes = 4 * 2 ** 20 + GROWTH_BYTES;
  bound.beforeStore(500);
  expect(s.collections).toBe(1);
});

function _fill(box: { garbage?: { n: number; text: string }[] }): void {
  box.garbage = Array.from({ length: 1_000_000 }, (_, n) => ({ n, text: `item ${n}` }));
}

test("with the runtime's collector, a batch after much garbage gives the heap back", () => {
  // Measured against the heap before the garbage, not as a fraction of the total: in the whole
  // suite's process the live heap of the other files is tens of MiB and varies with their order.
  fullGC();
  const before = heapSize();
  const bound = createHeapBound();
  // Made in another frame and held in an object, not a local: the collector scans the stack
  // conservatively, and a pointer left in this frame would keep it all alive.
  const box: { garbage?: { n: number; text: string }[] } = {};
  _fill(box);
  const held = heapSize();
  expect(held - before).toBeGreaterThan(2 * GROWTH_BYTES);
  delete box.garbage;
  bound.beforeStore(500);
  expect(held - heapSize()).toBeGreaterThan((held - before) / 2);
});
