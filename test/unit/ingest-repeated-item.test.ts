// parseBagtowerBody refuses a record that carries an item id twice, naming it, whether the record
// is small (ids compared pairwise) or large (a Set); the first repeat found is the one named.
import { expect, test } from "bun:test";
import { parseBagtowerBody } from "../../src/serve/ingest/bagtower.ts";
import { HttpError } from "../../src/serve/http-errors.ts";
import { DEFAULT_LIMITS } from "../../src/serve/limits.ts";

const parse = (ids: string[]) => () => parseBagtowerBody({ deviceId: "pi-01", unixTimestamp: 1_780_000_000, data: ids.map((id, i) => ({ id, type: "number", val: i })) }, { limits: DEFAULT_LIMITS, nowS: 1_780_000_000 });
const many = (n: number) => Array.from({ length: n }, (_, i) => `item${i}`);

for (const n of [2, 3, 32, 33, 200]) {
  test(`${n} items: distinct ids pass, a repeated one is a 400 naming it`, () => {
    expect(parse(many(n))()[0]!.data.length).toBe(n);
    const ids = many(n);
    ids[n - 1] = ids[0]!;
    expect(parse(ids)).toThrow(new HttpError(400, 'data: item "item0" appears twice'));
    const two = many(n);
    if (n >= 3) {
      two[n - 1] = two[1]!;
      two[n - 2] = two[0]!;
      // item0 repeats at n-2, before item1 repeats at n-1
      expect(parse(two)).toThrow('item "item0" appears twice');
    }
  });
}
