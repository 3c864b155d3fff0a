// store.compactMemory (src/serve/store.ts), on a real SQLite file: the store lets go of its
// per-device caches and rebuilds its head state after a collection, and nothing a client can see
// changes: duplicates are still refused, new records still taken, the latest values, text history
// and samples read back the same, the head seals whole. Refused while a seal is under way.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Item } from "../../src/record/schema.ts";
import { openStore, type IngestRecord, type Store } from "../../src/serve/store.ts";

let dir = "";
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bagtower-compact-"));
  store = openStore(join(dir, "serve.db"));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const record = (deviceId: string, ts: number, cpu: number, recordId: string): IngestRecord => ({
  deviceId,
  unixTimestamp: ts,
  recordId,
  body: () => "{}",
  data: [
    { id: "cpu", type: "percent", val: cpu },
    { id: "load", type: "number", val: [cpu / 10, 1, 2] },
    { id: "network", type: "counter", val: { bytes_sent: cpu * 100, bytes_received: cpu * 200 } },
    { id: "system", type: "string", val: { os: `Debian ${cpu % 3}` } },
  ] satisfies Item[],
});
const DEVICES = ["pi-01", "pi-02", "jetson-01"];
const T0 = 1_700_000_000;
const nowMs = (ts: number) => ts * 1000 + 500;

/** Every reading a client can make of the devices: rows, latest values, samples, text history. */
function readings(s: Store) {
  return DEVICES.map((id) => {
    const { lastSeen, status, firstSeen } = s.device(id)!;
    return {
      row: { lastSeen, status, firstSeen },
      items: s.items(id).map((i) => [i.id, i.ts, i.latest]),
      cpu: s.series(id, "cpu", T0 - 1, T0 + 100_000),
      network: s.series(id, "network", T0 - 1, T0 + 100_000),
      system: s.strings(id, "system", T0 - 1, T0 + 100_000),
    };
  });
}

async function load(from: number, to: number) {
  for (let i = from; i < to; i++) {
    const ts = T0 + 600 * i;
    await store.ingest(DEVICES.map((d, k) => record(d, ts, i + k, `${d}-${i}`)), "10.0.0.1", nowMs(ts));
  }
}

describe("store.compactMemory", () => {
  test("what the store answers is the same after a compaction, and it goes on taking and refusing records as before", async () => {
    await load(0, 40);
    const before = readings(store);
    const head = store.stats().headRecords;
    expect(head).toBe(120);
    let collections = 0;
    expect(store.compactMemory(() => collections++)).toBe(true);
    expect(collections).toBe(1);
    expect(store.stats().headRecords).toBe(head);
    expect(readings(store)).toEqual(before);
    // The head state came back: a record already in the head is a duplicate, a new one is taken.
    const again = await store.ingest([record("pi-02", T0 + 600 * 7, 8, "pi-02-7")], null, nowMs(T0 + 600 * 40));
    expect(again).toMatchObject({ accepted: 0, duplicates: 1 });
    const next = await store.ingest([record("pi-02", T0 + 600 * 40, 41, "pi-02-40")], null, nowMs(T0 + 600 * 40));
    expect(next).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(store.series("pi-02", "cpu", T0 + 600 * 40, T0 + 600 * 40)).toEqual([{ key: "", ts: T0 + 600 * 40, value: 41 }]);
    expect(store.items("pi-02").find((i) => i.id === "cpu")?.latest).toBe(41);
  });

  test("the head rebuilt by a compaction seals whole: every sample is read back after the seal, none twice", async () => {
    await load(0, 60);
    const before = readings(store);
    expect(store.compactMemory(() => Bun.gc(true))).toBe(true);
    expect(await store.seal(nowMs(T0 + 600 * 60), true)).toBe(180);
    expect(store.stats().headRecords).toBe(0);
    expect(readings(store)).toEqual(before);
    // The record ids are in the sealed chunks now: still refused.
    expect(await store.ingest([record("jetson-01", T0 + 600 * 3, 5, "jetson-01-3")], null, nowMs(T0 + 600 * 61))).toMatchObject({ duplicates: 1 });
  });

  test("refused while a seal is under way (it holds the device states across its turns), taken once it has ended", async () => {
    await load(0, 40);
    const sealing = store.seal(nowMs(T0 + 600 * 40), true);
    let collections = 0;
    expect(store.compactMemory(() => collections++)).toBe(false);
    expect(collections).toBe(0);
    expect(await sealing).toBe(120);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.compactMemory(() => collections++)).toBe(true);
    expect(collections).toBe(1);
  });
});
