import { describe, expect, test } from "bun:test";
import { mergeByTime } from "../../src/serve/tsdb/merge-by-time.ts";
import { mulberry32 } from "../helpers/prng.ts";

describe("mergeByTime (a graph's series into one list)", () => {
  test("equals a stable sort by time of the lists laid end to end, for random lists", () => {
    const random = mulberry32(42);
    for (let round = 0; round < 200; round++) {
      const lists = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, s) => {
        let ts = Math.floor(random() * 10);
        return Array.from({ length: Math.floor(random() * 20) }, (_, i) => ({ ts: (ts += Math.floor(random() * 3)), series: s, i }));
      });
      const expected = lists.flat().sort((a, b) => a.ts - b.ts || a.series - b.series);
      expect(mergeByTime(lists)).toEqual(expected);
    }
  });

  test("no lists, empty lists and one list", () => {
    expect(mergeByTime([])).toEqual([]);
    expect(mergeByTime([[], []])).toEqual([]);
    const one = [{ ts: 1 }, { ts: 2 }];
    expect(mergeByTime([[], one])).toBe(one);
  });
});
