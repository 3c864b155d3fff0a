// The dashboard's graph data (dashboard/series.js): series points aligned with uPlot's own join,
// and a pushed record's values appended as the series API would have answered them.
import { describe, expect, test } from "bun:test";
import uPlot from "uplot";
import { toRates } from "../../src/serve/api.ts";
import { alignSeries, appendPoint, flatten, gapLimit, lastValue, orderKeys, rateBetween, seriesStep, timeWindow, trimBefore, withBands, type Columns, type Join } from "../../src/serve/dashboard/series.js";

const join = uPlot.join as unknown as Join;

describe("alignSeries", () => {
  test("one time axis for every key; undefined where a key has no point", () => {
    const { columns } = alignSeries(join, ["0", "1"], { "0": [[100, 1], [160, 2], [220, 3]], "1": [[160, 20], [280, 40]] }, 60);
    expect(columns).toEqual([[100, 160, 220, 280], [1, 2, 3, undefined], [undefined, 20, undefined, 40]]);
  });

  test("a silence far longer than the period breaks the line with a null", () => {
    const { columns, limit } = alignSeries(join, [""], { "": [[0, 1], [60, 2], [120, 3], [2000, 4], [2060, 5]] }, 60);
    expect(limit).toBe(180);
    expect(columns).toEqual([[0, 60, 120, 121, 2000, 2060], [1, 2, 3, null, 4, 5]]);
  });

  test("the device's period counts: a 10 min device pushing every 10 min has no gaps", () => {
    const { columns } = alignSeries(join, [""], { "": [[0, 1], [10, 2], [20, 3], [620, 4]] }, 600);
    expect(columns[0]).toEqual([0, 10, 20, 620]);
  });

  test("no keys, no points, points that are not numbers", () => {
    expect(alignSeries(join, [], {}, 60).columns).toEqual([[]]);
    expect(alignSeries(join, [""], {}, 60).columns).toEqual([[], []]);
    expect(alignSeries(join, [""], { "": [[1, "x" as unknown as number], [2, 5]] }, 60).columns).toEqual([[2], [5]]);
  });
});

describe("rollup rows and the step", () => {
  test("points [t, avg, min, max] add a min and a max column per key after the keys', named in bands", () => {
    const { columns, bands } = alignSeries(join, ["0", "1"], { "0": [[0, 5, 1, 9], [3600, 6, 2, 8]], "1": [[0, 50], [3600, 60]] }, 600);
    expect(columns).toEqual([[0, 3600], [5, 6], [50, 60], [1, 2], [9, 8]]);
    expect(bands).toEqual([{ key: 1, min: 3, max: 4 }]);
    // A key with a point missing its min and max has no band.
    expect(alignSeries(join, [""], { "": [[0, 5, 1, 9], [60, 6]] }, 60).bands).toEqual([]);
    expect(alignSeries(join, [""], { "": [[0, 1], [60, 2]] }, 60).bands).toEqual([]);
  });

  test("band columns break with the lines, and a pushed value is its own min and max", () => {
    const { columns, bands, limit } = alignSeries(join, [""], { "": [[0, 5, 1, 9], [3600, 6, 2, 8], [7200, 4, 3, 5], [90_000, 7, 6, 8]] }, 3600);
    expect(columns).toEqual([[0, 3600, 7200, 7201, 90_000], [5, 6, 4, null, 7], [1, 2, 3, null, 6], [9, 8, 5, null, 8]]);
    expect(withBands([7.5], bands)).toEqual([7.5, 7.5, 7.5]);
    expect(withBands([1, 2], [])).toEqual([1, 2]);
    appendPoint(columns, 93_600, withBands([7.5], bands), limit);
    expect(columns.map((c) => c.at(-1))).toEqual([93_600, 7.5, 7.5, 7.5]);
  });

  test("the step asks for about 600 points, at least a minute", () => {
    expect([3600, 6 * 3600, 86_400, 7 * 86_400, 30 * 86_400, 90 * 86_400, 365 * 86_400].map(seriesStep)).toEqual([60, 60, 144, 1008, 4320, 12_960, 52_560]);
  });
});

describe("a pushed record", () => {
  test("flattens as the store keeps numbers: scalar, array by index, object by key, no text", () => {
    expect(flatten(12.5)).toEqual({ "": 12.5 });
    expect(flatten([3, 4])).toEqual({ "0": 3, "1": 4 });
    expect(flatten({ a: 1, b: "x", c: 2 })).toEqual({ a: 1, c: 2 });
    expect(flatten("text")).toBeNull();
    expect(flatten(null)).toBeNull();
  });

  test("appends after the last point", () => {
    const columns: Columns = [[0, 60], [1, 2], [10, 20]];
    expect(appendPoint(columns, 120, [3, undefined], 180)).toEqual([[0, 60, 120], [1, 2, 3], [10, 20, undefined]]);
  });

  test("after a long silence, behind a break", () => {
    const columns: Columns = [[0, 60], [1, 2]];
    expect(appendPoint(columns, 1000, [3], 180)).toEqual([[0, 60, 61, 1000], [1, 2, null, 3]]);
  });

  test("a late record goes in its place; one of a second already drawn patches that second", () => {
    const columns: Columns = [[0, 120], [1, 3], [10, 30]];
    appendPoint(columns, 60, [2, 20], 180);
    expect(columns).toEqual([[0, 60, 120], [1, 2, 3], [10, 20, 30]]);
    appendPoint(columns, 120, [undefined, 33], 180);
    expect(columns).toEqual([[0, 60, 120], [1, 2, 3], [10, 20, 33]]);
  });

  test("into an empty series", () => {
    expect(appendPoint([[], []], 5, [1], Number.POSITIVE_INFINITY)).toEqual([[5], [1]]);
  });

  test("the same columns as a fresh load of the series with the record in it", () => {
    const points: [number, number][] = [[0, 1], [60, 2], [120, 3]];
    const loaded = alignSeries(join, [""], { "": points }, 60);
    appendPoint(loaded.columns, 180, [4], loaded.limit);
    expect(loaded.columns).toEqual(alignSeries(join, [""], { "": [...points, [180, 4]] }, 60).columns);
  });

  test("a counter's rate as the series API computes it, resets included", () => {
    const readings: [number, number][] = [[0, 100], [60, 700], [120, 1900], [180, 50], [240, 650], [240, 700], [300, 700]];
    const ours: [number, number][] = [];
    for (let i = 1; i < readings.length; i++) {
      const rate = rateBetween(readings[i - 1]!, readings[i]!);
      if (rate !== undefined) ours.push([readings[i]![0], rate]);
    }
    expect(ours).toEqual(toRates(readings));
    expect(ours.length).toBeLessThan(readings.length - 1);
  });
});

describe("the time window", () => {
  test("points before the range's left edge go, with a break left at the front", () => {
    expect(trimBefore([[0, 60, 61, 1000, 1060], [1, 2, null, 3, 4]], 61)).toEqual([[1000, 1060], [3, 4]]);
    expect(trimBefore([[0, 60], [1, 2]], 0)).toEqual([[0, 60], [1, 2]]);
    expect(trimBefore([[0, 60], [1, 2]], 100)).toEqual([[], []]);
  });

  test("fits minutes of data instead of squeezing them against the right edge; the right edge is now", () => {
    expect(timeWindow([9000, 9100], 0, 9200)).toEqual([9200 - 200 * 1.04, 9200]);
    expect(timeWindow([9190], 0, 9200)).toEqual([9200 - 60 * 1.04, 9200]);
    expect(timeWindow([100, 9000], 50, 9200)).toEqual([50, 9200]);
    // A record ahead of our clock moves the right edge to it.
    expect(timeWindow([9000, 9300], 0, 9200)[1]).toBe(9300);
  });

  test("gap limit: 3 steps, at least 2.5 periods; one point has only the period", () => {
    expect(gapLimit([0, 10, 20, 30], 60)).toBe(150);
    expect(gapLimit([0, 100, 200], 10)).toBe(300);
    expect(gapLimit([5], 60)).toBe(150);
    expect(gapLimit([], 0)).toBe(Number.POSITIVE_INFINITY);
  });
});

test("curves in the record's key order, then the others in numeric text order", () => {
  expect(orderKeys(["15m", "1m", "5m"], ["1m", "5m", "15m"])).toEqual(["1m", "5m", "15m"]);
  expect(orderKeys(["10", "2", "1"], [])).toEqual(["1", "2", "10"]);
  expect(orderKeys(["x", "b", "a"], ["b"])).toEqual(["b", "a", "x"]);
});

test("the legend's latest value skips the gaps", () => {
  expect(lastValue([1, 2, null, undefined])).toBe(2);
  expect(lastValue([])).toBeNull();
  expect(lastValue(undefined)).toBeNull();
});
