// The receiver's store on a real SQLite file: latest values, points, duplicates and retention.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Item } from "../../src/record/schema.ts";
import { openStore, type IngestRecord, type Store } from "../../src/serve/store.ts";

let dir = "";
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bagtower-store-"));
  store = openStore(join(dir, "serve.db"));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const record = (ts: number, data: Item[], recordId?: string): IngestRecord => ({ deviceId: "pi-01", recordId, unixTimestamp: ts, data, body: () => "{}" });
const latest = () => Object.fromEntries(store.items("pi-01").map((i) => [i.id, [i.ts, i.latest]]));

describe("the store", () => {
  test("an item missing from the newest record keeps its value; a late, older record changes nothing", async () => {
    await store.ingest([record(100, [{ id: "cpu", type: "percent", val: 10 }, { id: "battery", type: "percent", val: 80 }])], null, 100_000);
    await store.ingest([record(200, [{ id: "cpu", type: "percent", val: 20 }])], null, 200_000);
    expect(latest()).toEqual({ battery: [100, 80], cpu: [200, 20] });
    await store.ingest([record(150, [{ id: "cpu", type: "percent", val: 15 }, { id: "battery", type: "percent", val: 70 }])], null, 300_000);
    expect(latest()).toEqual({ battery: [100, 80], cpu: [200, 20] });
    expect(store.series("pi-01", "cpu", 0, 1000).map((p) => p.value)).toEqual([10, 15, 20]);
  });

  test("an item that changes shape is described anew", async () => {
    await store.ingest([record(100, [{ id: "temp", type: "celsius", val: 40 }])], null, 100_000);
    await store.ingest([record(200, [{ id: "temp", type: "celsius", val: { cpu: 41, gpu: 39 } }])], null, 200_000);
    const [temp] = store.items("pi-01");
    expect([temp!.shape, temp!.keys, temp!.latest]).toEqual(["object", ["cpu", "gpu"], { cpu: 41, gpu: 39 }]);
    expect(store.series("pi-01", "temp", 0, 1000)).toEqual([
      { key: "", ts: 100, value: 40 },
      { key: "cpu", ts: 200, value: 41 },
      { key: "gpu", ts: 200, value: 39 },
    ]);
  });

  test("two records at the same second are merged into one points row", async () => {
    await store.ingest([record(100, [{ id: "cpu", type: "percent", val: 10 }]), record(100, [{ id: "load", type: "number", val: [1, 2, 3] }])], null, 100_000);
    expect(store.series("pi-01", "cpu", 0, 1000)).toEqual([{ key: "", ts: 100, value: 10 }]);
    expect(store.series("pi-01", "load", 0, 1000).map((p) => p.key)).toEqual(["0", "1", "2"]);
  });

  test("a replayed recordId is a duplicate and changes no value", async () => {
    const first = await store.ingest([record(100, [{ id: "cpu", type: "percent", val: 10 }], "rec-00000001")], null, 100_000);
    const again = await store.ingest([record(100, [{ id: "cpu", type: "percent", val: 99 }], "rec-00000001")], null, 200_000);
    expect([first.accepted, again.accepted, again.duplicates]).toEqual([1, 0, 1]);
    expect(latest()).toEqual({ cpu: [100, 10] });
  });

  test("retention removes records and their samples before the cutoff only", async () => {
    await store.ingest([record(100, [{ id: "cpu", type: "percent", val: 1 }]), record(5000, [{ id: "cpu", type: "percent", val: 2 }])], null, 5_000_000);
    expect(await store.deleteOlderThan(1000)).toBe(1);
    expect(store.counts().records).toBe(1);
    expect(store.series("pi-01", "cpu", 0, 10_000).map((p) => p.value)).toEqual([2]);
  });
});

// The ingest path keeps each item's series ids and each text item's last value as it came
// (store.ts: _pushKnownPairs, _text); a value whose shape or text changed must take the slow path.
describe("what the store remembers between records", () => {
  const keysAt = (item: string, ts: number) => store.series("pi-01", item, ts, ts).map((p) => [p.key, p.value]);

  test("an object's keys in another order, one more, one fewer: each value lands in its own key's series", async () => {
    const vals: Record<string, number>[] = [{ a: 1, b: 2 }, { b: 3, a: 4 }, { a: 5, b: 6, c: 7 }, { c: 8 }, { a: 9, b: 10 }];
    for (const [i, val] of vals.entries()) await store.ingest([record(100 + i, [{ id: "m", type: "number", val }])], null, 200_000);
    expect(keysAt("m", 100)).toEqual([["a", 1], ["b", 2]]);
    expect(keysAt("m", 101)).toEqual([["a", 4], ["b", 3]]);
    expect(keysAt("m", 102)).toEqual([["a", 5], ["b", 6], ["c", 7]]);
    expect(keysAt("m", 103)).toEqual([["c", 8]]);
    expect(keysAt("m", 104)).toEqual([["a", 9], ["b", 10]]);
    expect(store.items("pi-01")[0]!.keys).toEqual(["a", "b"]);
  });

  test("an array that grows or shrinks, a scalar that becomes an array, a type that changes", async () => {
    const vals: Item[] = [
      { id: "load", type: "number", val: [1, 2] },
      { id: "load", type: "number", val: [3, 4, 5] },
      { id: "load", type: "number", val: [6] },
      { id: "load", type: "number", val: 7 },
      { id: "load", type: "counter", val: 8 },
    ];
    for (const [i, item] of vals.entries()) await store.ingest([record(100 + i, [item])], null, 200_000);
    expect([100, 101, 102, 103, 104].map((ts) => keysAt("load", ts))).toEqual([
      [["0", 1], ["1", 2]],
      [["0", 3], ["1", 4], ["2", 5]],
      [["0", 6]],
      [["", 7]],
      [["", 8]],
    ]);
    const [load] = store.items("pi-01");
    expect([load!.type, load!.shape]).toEqual(["counter", "scalar"]);
  });

  test("a text value is stored when it changes, and only then: strings, objects, reordered keys, nested values", async () => {
    const vals: unknown[] = ["a", "a", { k: "1", v: [1, 2] }, { k: "1", v: [1, 2] }, { v: [1, 2], k: "1" }, { v: [1, 3], k: "1" }, "a"];
    for (const [i, val] of vals.entries()) await store.ingest([record(100 + i, [{ id: "os", type: "string", val } as Item])], null, 200_000);
    expect(store.strings("pi-01", "os", 0, 1000)).toEqual([
      { ts: 100, value: '"a"' },
      { ts: 102, value: '{"k":"1","v":[1,2]}' },
      { ts: 104, value: '{"v":[1,2],"k":"1"}' },
      { ts: 105, value: '{"v":[1,3],"k":"1"}' },
      { ts: 106, value: '"a"' },
    ]);
  });

  test("after a restart, an unchanged text value is still not stored again; a changed one is", async () => {
    const path = join(dir, "serve.db");
    await store.ingest([record(100, [{ id: "os", type: "string", val: { name: "Debian" } }])], null, 200_000);
    store.close();
    store = openStore(path);
    await store.ingest([record(101, [{ id: "os", type: "string", val: { name: "Debian" } }])], null, 200_000);
    await store.ingest([record(102, [{ id: "os", type: "string", val: { name: "Debian" } }])], null, 200_000);
    await store.ingest([record(103, [{ id: "os", type: "string", val: { name: "Alpine" } }])], null, 200_000);
    expect(store.strings("pi-01", "os", 0, 1000).map((s) => s.ts)).toEqual([100, 103]);
  });
});

describe("the record ids' window", () => {
  test("a record id outlives the raw tier for the dedup window: a copy re-sent later is still a duplicate", async () => {
    store.close();
    store = openStore(join(dir, "serve.db"), undefined, { retention: { rawS: 3600, fiveMinuteS: 3600, hourS: 3600 }, dedupWindowS: 7 * 86400 });
    const nowS = 10 * 86400;
    await store.ingest([record(nowS - 2 * 3600, [{ id: "cpu", type: "percent", val: 5 }], "rec-late-copy")], null, nowS * 1000);
    await store.seal(nowS * 1000, true);
    await store.applyRetention(nowS);
    expect(store.series("pi-01", "cpu", 0, nowS)).toEqual([]); // the raw tier is gone
    const again = await store.ingest([record(nowS - 2 * 3600, [{ id: "cpu", type: "percent", val: 5 }], "rec-late-copy")], null, nowS * 1000);
    expect([again.accepted, again.duplicates]).toEqual([0, 1]);
    await store.applyRetention(nowS + 8 * 86400);
    expect(store.counts().records).toBe(0);
  });
});

describe("the store after a restart", () => {
  test("item shapes come back from the database: a record without an item still keeps its latest value", async () => {
    const path = join(dir, "serve.db");
    await store.ingest([record(100, [{ id: "cpu", type: "percent", val: 10 }, { id: "battery", type: "percent", val: 80 }, { id: "os", type: "string", val: { name: "Debian", version: "12" } }])], null, 100_000);
    store.close();
    store = openStore(path);
    await store.ingest([record(200, [{ id: "cpu", type: "percent", val: 20 }, { id: "os", type: "string", val: { name: "Debian", version: "13" } }])], null, 200_000);
    expect(latest()).toEqual({ battery: [100, 80], cpu: [200, 20], os: [200, { name: "Debian", version: "13" }] });
    await store.ingest([record(300, [{ id: "cpu", type: "percent", val: 30 }, { id: "battery", type: "percent", val: 70 }, { id: "os", type: "string", val: "Debian 13" }])], null, 300_000);
    expect(latest()).toEqual({ battery: [300, 70], cpu: [300, 30], os: [300, "Debian 13"] });
    expect(store.items("pi-01").find((i) => i.id === "os")?.keys).toEqual([]);
  });
  test("retention finds the head's old rows after a restart too (from the rows the store reads back at start)", async () => {
    const path = join(dir, "serve.db");
    await store.ingest([100, 200, 5000, 6000].map((ts) => record(ts, [{ id: "cpu", type: "percent", val: ts / 100 }])), null, 6_000_000);
    store.close();
    store = openStore(path);
    expect(await store.deleteOlderThan(1000)).toBe(2);
    expect(store.counts().records).toBe(2);
    expect(store.series("pi-01", "cpu", 0, 10_000).map((p) => p.value)).toEqual([50, 60]);
    store.close();
    store = openStore(path);
    expect(store.counts().records).toBe(2);
    expect(store.series("pi-01", "cpu", 0, 10_000).map((p) => p.value)).toEqual([50, 60]);
    expect(await store.deleteOlderThan(1000)).toBe(0);
  });
});
