import { describe, expect, test } from "bun:test";
import { parseLine, parseLines, toSeconds } from "../../src/serve/ingest/line-protocol.ts";

describe("Influx line protocol", () => {
  test("every field type, escapes in measurement, tags, field keys and strings", () => {
    const point = parseLine('weather\\ report,location=us\\ midwest,sea\\,side=a\\=b temp=82.5,humidity=71i,count=3u,raining=true,dry=F,note="say \\"hi\\" \\\\ bye",field\\ key=1e3 1465839830100400200');
    expect(point.measurement).toBe("weather report");
    expect(point.tags).toEqual({ location: "us midwest", "sea,side": "a=b" });
    expect(point.fields).toEqual({ temp: 82.5, humidity: 71, count: 3, raining: true, dry: false, note: 'say "hi" \\ bye', "field key": 1000 });
    expect([...point.integers]).toEqual(["humidity", "count"]);
    expect(point.timestamp).toBe(1465839830100400200n);
  });
  test("no tags, no timestamp, a comma inside a string", () => {
    expect(parseLine('cpu value=-0.5,msg="a,b c"')).toMatchObject({ measurement: "cpu", tags: {}, fields: { value: -0.5, msg: "a,b c" }, timestamp: undefined });
  });
  test.each([
    ["", "missing measurement"],
    ["cpu", "missing fields"],
    ["cpu,host= value=1", "empty value"],
    ["cpu,host value=1", "missing =value"],
    ["cpu value=", "invalid value"],
    ["cpu value=abc", "invalid value"],
    ['cpu value="open', "unterminated string"],
    ["cpu value=1 12:00", "invalid timestamp"],
    ["cpu value=1i2", "invalid value"],
  ])("%p is refused (%s)", (line, message) => expect(() => parseLine(line)).toThrow(message));
  test("lines: blank lines and comments skipped; a bad line is named by number", () => {
    expect(parseLines("# comment\n\ncpu v=1 1\r\nmem v=2 2\n")).toHaveLength(2);
    expect(() => parseLines("cpu v=1\ncpu v=oops\n")).toThrow('line 2: field "v": invalid value "oops"');
  });
  test.each([
    ["ns", 1465839830100400200n, 1465839830],
    ["u", 1465839830100400n, 1465839830],
    ["ms", 1465839830100n, 1465839830],
    ["s", 1465839830n, 1465839830],
    ["m", 24430663n, 1465839780],
    ["h", 407177n, 1465837200],
  ] as const)("precision %s", (precision, ts, seconds) => expect(toSeconds(ts, precision)).toBe(seconds));
  test("an unknown precision", () => expect(() => toSeconds(1n, "d")).toThrow("precision=d is not one of"));
});
