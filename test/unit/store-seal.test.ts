// The store as a time-series engine on a real SQLite file: what was written comes back exactly,
// before and after a seal, after a restart, with late and re-sent records; rollups equal the
// aggregates of the raw samples; a corrupt chunk is reported and skipped.
import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Item } from "../../src/record/schema.ts";
import { openStore, SEAL_ROWS, type IngestRecord, type Store } from "../../src/serve/store.ts";
import { decodeHeadRow, encodeHeadRow } from "../../src/serve/tsdb/head-row.ts";
import { mulberry32 } from "../helpers/prng.ts";

let dir = "";
let store: Store;
let logs: string[] = [];
const open = () => openStore(join(dir, "serve.db"), undefined, { log: (line) => logs.push(line) });
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bagtower-seal-"));
  logs = [];
  store = open();
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

// An hour's start plus 200 s, 20 days ago: inside the raw tier when the tests seal (at the clock's now).
const T0 = Math.floor((Date.now() / 1000 - 20 * 86400) / 3600) * 3600 + 200;
const rec = (deviceId: string, ts: number, data: Item[], recordId?: string): IngestRecord => ({ deviceId, recordId, unixTimestamp: ts, data, body: () => "{}" });

/** A device's walk: percents with one decimal, a counter with resets, an array, an object, gaps. */
function walk(seed: number, n: number, deviceId = "pi-01") {
  const rand = mulberry32(seed);
  const records: IngestRecord[] = [];
  let ts = T0;
  let counter = 1e9;
  let cpu = 20;
  for (let i = 0; i < n; i++) {
    ts += rand() < 0.05 ? 600 * (1 + Math.floor(rand() * 20)) : 600 + (rand() < 0.1 ? 1 : 0);
    cpu = Math.round(Math.min(100, Math.max(0, cpu + (rand() - 0.5) * 8)) * 10) / 10;
    counter = rand() < 0.01 ? Math.floor(rand() * 1000) : counter + Math.floor(rand() * 5e6);
    const data: Item[] = [
      { id: "cpu", type: "percent", val: cpu },
      { id: "network", type: "counter", val: { bytes_sent: counter, bytes_received: counter * 3 } },
      { id: "load", type: "number", val: [cpu / 25, 0.1 + i / 1000, rand() < 0.5 ? 0.3 : 0.3] },
      { id: "odd", type: "number", val: rand() * 1e300 - 5e299 },
    ];
    if (i % 7 !== 3) data.push({ id: "temperature", type: "celsius", val: { cpu: 40 + (i % 13) / 10 } });
    records.push(rec(deviceId, ts, data, `${deviceId}-rec-${seed}-${i}`));
  }
  return records;
}

/** Every (item, key, ts, value) the records hold, as the store's series() answers them. */
function expected(records: IngestRecord[], item: string): { key: string; ts: number; value: number }[] {
  const out: { key: string; ts: number; value: number }[] = [];
  for (const r of [...records].sort((a, b) => a.unixTimestamp - b.unixTimestamp)) {
    const found = r.data.find((d) => d.id === item);
    if (!found) continue;
    const val = found.val as number | number[] | Record<string, number>;
    if (typeof val === "number") out.push({ key: "", ts: r.unixTimestamp, value: val });
    else if (Array.isArray(val)) val.forEach((v, i) => out.push({ key: String(i), ts: r.unixTimestamp, value: v }));
    else for (const [key, value] of Object.entries(val)) out.push({ key, ts: r.unixTimestamp, value });
  }
  return out;
}

/** The graph's rows are the step buckets of the raw samples: min, max, and the average (a counter's last). */
function expectBuckets(rows: { key: string; ts: number; value: number; min?: number; max?: number }[], records: IngestRecord[], item: string, step: number): void {
  const buckets = new Map<string, { min: number; max: number; sum: number; n: number; last: number }>();
  for (const s of expected(records, item)) {
    const k = `${s.key} ${s.ts - (s.ts % step)}`;
    const b = buckets.get(k);
    if (!b) buckets.set(k, { min: s.value, max: s.value, sum: s.value, n: 1, last: s.value });
    else Object.assign(b, { min: Math.min(b.min, s.value), max: Math.max(b.max, s.value), sum: b.sum + s.value, n: b.n + 1, last: s.value });
  }
  expect(rows.length).toBe(buckets.size);
  for (const row of rows) {
    const b = buckets.get(`${row.key} ${row.ts}`)!;
    expect([row.min, row.max]).toEqual([b.min, b.max]);
    if (item === "network") expect(row.value).toBe(b.last);
    else expect(row.value).toBeCloseTo(b.sum / b.n, 9);
  }
}

const ITEMS = ["cpu", "network", "load", "odd", "temperature"];
const everything = (s: Store, records: IngestRecord[]) => {
  for (const item of ITEMS) expect({ item, rows: s.series("pi-01", item, 0, 4e9) }).toEqual({ item, rows: expected(records, item) });
};

describe("the head and the seal", () => {
  test("a head row round-trips every kind of number", () => {
    const rand = mulberry32(7);
    for (let round = 0; round < 500; round++) {
      const n = 1 + Math.floor(rand() * 40);
      const sids: number[] = [];
      const values: number[] = [];
      let sid = 0;
      for (let i = 0; i < n; i++) {
        sid += 1 + Math.floor(rand() * (rand() < 0.1 ? 100_000 : 3));
        sids.push(sid);
        const kind = Math.floor(rand() * 6);
        values.push(kind === 0 ? Math.round(rand() * 1000) / 10 : kind === 1 ? Math.floor(rand() * 2 ** 52) : kind === 2 ? -rand() * 1e-300 : kind === 3 ? -0 : kind === 4 ? 0.1 + 0.2 : -Math.round(rand() * 1e6) / 1e6);
      }
      const back: [number, number][] = [];
      decodeHeadRow(encodeHeadRow(sids, values), (s, v) => back.push([s, v]));
      expect(back.map(([s]) => s)).toEqual(sids);
      back.forEach(([, v], i) => expect(Object.is(v, values[i]) || v === values[i]).toBe(true));
    }
  });

  test("a truncated head row is an error, not a shorter record", () => {
    const row = encodeHeadRow([1, 2, 3], [10.5, 2 ** 40, 0.1 + 0.2]);
    for (let cut = 1; cut < row.length; cut++) {
      let threw = false;
      let pairs = 0;
      try {
        decodeHeadRow(row.subarray(0, cut), () => pairs++);
      } catch {
        threw = true;
      }
      expect(threw || pairs < 3).toBe(true);
      if (!threw) expect(pairs).toBeLessThan(3);
    }
  });

  test("the samples written come back exactly: in the head, sealed, after a restart", async () => {
    const records = walk(1, 700);
    for (let i = 0; i < records.length; i += 50) await store.ingest(records.slice(i, i + 50), null, (T0 + 500 * 600) * 1000);
    everything(store, records);
    expect(store.stats().headRecords).toBe(700);
    const sealed = await store.seal(Date.now());
    expect(sealed).toBeGreaterThanOrEqual(SEAL_ROWS * 5);
    expect(store.stats().headRecords).toBeLessThan(700 - SEAL_ROWS * 4);
    everything(store, records);
    store.close();
    store = open();
    everything(store, records);
    expect(store.counts().records).toBe(700);
    await store.seal(Date.now(), true);
    expect(store.stats().headRecords).toBe(0);
    everything(store, records);
    // Sealed chunks cover whole hours but the last: each starts in a new hour.
    const db = new Database(join(dir, "serve.db"), { readonly: true });
    const starts = db.query("SELECT c.start_ts AS s, c.end_ts AS e FROM chunks c JOIN series s ON s.sid = c.sid WHERE s.item = 'cpu' ORDER BY c.start_ts").all() as { s: number; e: number }[];
    db.close();
    for (let i = 1; i < starts.length; i++) expect(Math.floor(starts[i]!.s / 3600)).toBeGreaterThan(Math.floor(starts[i - 1]!.e / 3600));
  });

  test("the head's pages freed by a seal go back to the disk (auto_vacuum incremental)", async () => {
    // Every tier kept an hour and the seal a year later: the numbers leave with the head, nothing reuses its pages.
    store.close();
    store = openStore(join(dir, "serve.db"), undefined, { retention: { rawS: 3600, fiveMinuteS: 3600, hourS: 3600 } });
    // 60,000 records: a head of more than the 512 free pages (2 MiB) the file may keep.
    const records = Array.from({ length: 20 }, (_, d) => walk(100 + d, 3000, `pi-${d}`)).flat();
    for (let i = 0; i < records.length; i += 2000) await store.ingest(records.slice(i, i + 2000), null, Date.now());
    const pragma = (name: string) => Object.values(store.db.query(`PRAGMA ${name}`).get() as Record<string, number>)[0]!;
    const pagesBefore = pragma("page_count");
    await store.seal(Date.now() + 365 * 86_400_000, true);
    expect(pragma("auto_vacuum")).toBe(2);
    expect(pragma("freelist_count")).toBeLessThanOrEqual(512);
    expect(pragma("page_count")).toBeLessThan(pagesBefore * 0.7);
  }, 60_000);

  test("the seal keeps each device's open hour and seals the hours before it once they hold SEAL_ROWS rows, late rows counted", async () => {
    const hourA = T0 - 200; // an hour's start
    const cpu = (v: number): Item[] => [{ id: "cpu", type: "percent", val: v }];
    const nowMs = (hourA + 2 * 3600) * 1000;
    // SEAL_ROWS - 1 rows in hour A, 5 in hour B (the open hour), arriving interleaved.
    const inA = Array.from({ length: SEAL_ROWS - 1 }, (_, i) => rec("pi-01", hourA + i * 20, cpu(i % 100), `a-${i}`));
    const inB = Array.from({ length: 5 }, (_, i) => rec("pi-01", hourA + 3600 + i * 60, cpu(i), `b-${i}`));
    await store.ingest([...inB.slice(0, 2), ...inA, ...inB.slice(2)], null, nowMs);
    expect(await store.seal(nowMs)).toBe(0);
    expect(store.stats().headRecords).toBe(SEAL_ROWS + 4);
    // One late row of hour A makes it SEAL_ROWS: hour A goes into chunks, hour B stays.
    await store.ingest([rec("pi-01", hourA + 3599, cpu(50), "a-late")], null, nowMs);
    expect(await store.seal(nowMs)).toBe(SEAL_ROWS);
    expect(store.stats().headRecords).toBe(5);
    expect(store.series("pi-01", "cpu", 0, 4e9).map((r) => r.ts)).toEqual([...inA.map((r) => r.unixTimestamp), hourA + 3599, ...inB.map((r) => r.unixTimestamp)]);
    // A device silent for 15 minutes gives its open hour too.
    expect(await store.seal(nowMs + 15 * 60_000)).toBe(5);
    expect(store.stats().headRecords).toBe(0);
  });

  test("late records and re-sent copies, before and after the seal: merged in time order, never twice", async () => {
    const records = walk(2, 400);
    const late = records.filter((_, i) => i % 9 === 4);
    const onTime = records.filter((_, i) => i % 9 !== 4);
    await store.ingest(onTime, null, Date.now());
    await store.seal(Date.now(), true);
    const first = await store.ingest(late, null, Date.now());
    expect(first.accepted).toBe(late.length);
    const copies = await store.ingest([...late.slice(0, 10), ...onTime.slice(0, 10)], null, Date.now());
    expect([copies.accepted, copies.duplicates]).toEqual([0, 20]);
    everything(store, records);
    await store.seal(Date.now(), true);
    everything(store, records);
    const again = await store.ingest(records.slice(100, 120), null, Date.now());
    expect(again.duplicates).toBe(20);
    expect(store.counts().records).toBe(400);
  });

  test("rollups equal the aggregates of the raw samples, 5-minute and 1-hour, for every key", async () => {
    const records = walk(3, 600);
    await store.ingest(records, null, Date.now());
    await store.seal(Date.now());
    const nowS = records.at(-1)!.unixTimestamp + 60;
    for (const [step, tier] of [
      [600, "5m"],
      [3600, "1h"],
      [7200, "1h"],
    ] as const) {
      for (const item of ["cpu", "load", "temperature", "network"]) {
        const graph = store.graph("pi-01", item, T0, nowS, nowS, step);
        expect(graph.tier).toBe(tier);
        expectBuckets(graph.rows, records, item, step);
      }
    }
  });

  test("a graph asked again after its rows were rewritten (late samples inside sealed chunks, a frozen block grown) shows the new samples", async () => {
    store.close();
    store = openStore(join(dir, "serve.db"), undefined, { retention: { rawS: 3 * 86400, fiveMinuteS: 90 * 86400, hourS: 365 * 86400 }, dedupWindowS: 3600 });
    const records = walk(8, 2000); // about two weeks: all but the last three days are frozen into rollups
    const end = records.at(-1)!.unixTimestamp;
    // Late samples in the middle of hours of the last day: the chunks they land in keep their
    // start (and may keep their length), so only the store's own invalidation can tell.
    const late = records.filter((r, i) => r.unixTimestamp > end - 86400 && r.unixTimestamp % 3600 > 1500 && r.unixTimestamp % 3600 < 3000 && i % 2 === 0);
    const first = records.filter((r) => !late.includes(r));
    await store.ingest(first, null, Date.now());
    await store.seal(end * 1000, true);
    const check = (step: number, from: IngestRecord[]) => {
      const graph = store.graph("pi-01", "cpu", T0, end, end, step);
      expect(graph.tier).not.toBe("raw");
      expectBuckets(graph.rows, from, "cpu", graph.stepS);
    };
    for (const step of [600, 3600]) check(step, first);
    for (const step of [600, 3600]) check(step, first); // the same graphs, from the cache
    expect(late.length).toBeGreaterThan(5);
    await store.ingest(late, null, Date.now());
    await store.seal(end * 1000, true);
    for (const step of [600, 3600]) check(step, records);
    // A day leaves the raw tier: the newest frozen blocks grow by appending (same start).
    await store.applyRetention(end + 86400);
    for (const step of [600, 3600]) check(step, records);
  });

  test("a corrupt chunk or rollup block is reported with its series and skipped; the rest of the graph is answered", async () => {
    store.close();
    store = openStore(join(dir, "serve.db"), undefined, { log: (line) => logs.push(line), retention: { rawS: 7 * 86400, fiveMinuteS: 90 * 86400, hourS: 365 * 86400 } });
    const records = walk(4, 3000); // about three weeks: the first two leave the raw tier below
    await store.ingest(records, null, Date.now());
    const end = records.at(-1)!.unixTimestamp;
    await store.seal(end * 1000, true);
    await store.applyRetention(end);
    store.close();
    const db = new Database(join(dir, "serve.db"));
    const cpu = (db.query("SELECT sid FROM series WHERE item = 'cpu'").get() as { sid: number }).sid;
    const chunk = db.query("SELECT id FROM chunks WHERE sid = ? ORDER BY start_ts LIMIT 1").get(cpu) as { id: number };
    db.query("UPDATE chunks SET data = CAST(substr(data, 1, 10) || x'00ff00ff' || substr(data, 15) AS BLOB) WHERE id = ?").run(chunk.id);
    const block = db.query("SELECT id FROM rollups WHERE sid = ? AND tier = 3600 ORDER BY start_ts LIMIT 1").get(cpu) as { id: number };
    db.query("UPDATE rollups SET data = x'01020304' WHERE id = ?").run(block.id);
    db.close();
    store = openStore(join(dir, "serve.db"), undefined, { log: (line) => logs.push(line), retention: { rawS: 7 * 86400, fiveMinuteS: 90 * 86400, hourS: 365 * 86400 } });
    const raw = store.series("pi-01", "cpu", end - 7 * 86400, end);
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.length).toBeLessThan(expected(records, "cpu").filter((r) => r.ts >= end - 7 * 86400).length);
    expect(store.graph("pi-01", "cpu", T0, end, end, 3600).rows.length).toBeGreaterThan(100);
    expect(logs.some((l) => l.startsWith("pi-01 cpu: the chunk from") && l.includes("corrupt chunk"))).toBe(true);
    expect(logs.some((l) => l.startsWith("pi-01 cpu: the rollup from"))).toBe(true);
  });

  test("frozen rollups (their raw chunks gone) grow into few large blocks, and graph the same", async () => {
    store.close();
    store = openStore(join(dir, "serve.db"), undefined, { retention: { rawS: 86400, fiveMinuteS: 90 * 86400, hourS: 365 * 86400 }, dedupWindowS: 3600 });
    const records = walk(6, 4000); // about 30 days
    await store.ingest(records, null, Date.now());
    const end = records.at(-1)!.unixTimestamp;
    await store.seal(end * 1000, true);
    const blocks = () => {
      const db = new Database(join(dir, "serve.db"), { readonly: true });
      const n = (db.query("SELECT count(*) AS n FROM rollups r JOIN series s ON s.sid = r.sid WHERE s.item = 'cpu' AND r.tier = 3600").get() as { n: number }).n;
      db.close();
      return n;
    };
    const before = store.graph("pi-01", "cpu", T0, end, end, 3600);
    const blocksBefore = blocks();
    // About 29 days of hours went straight to the rollups (older than a day): one block of ≤ 1,000 buckets.
    expect(blocksBefore).toBe(1);
    await store.applyRetention(end + 3600);
    expect(blocks()).toBe(1);
    const after = store.graph("pi-01", "cpu", T0, end, end + 3600, 3600);
    expect(after.tier).toBe("1h");
    expect(after.rows).toEqual(before.rows);
  });

  test("retention drops the right tiers: raw first, then 5-minute, then 1-hour rollups", async () => {
    store.close();
    store = openStore(join(dir, "serve.db"), undefined, { retention: { rawS: 86400, fiveMinuteS: 2 * 86400, hourS: 4 * 86400 }, dedupWindowS: 3600 });
    const records = walk(5, 300); // about 2.2 days of records from T0
    await store.ingest(records, null, Date.now());
    const end = records.at(-1)!.unixTimestamp;
    await store.seal(end * 1000, true);
    const counts = () => {
      const db = new Database(join(dir, "serve.db"), { readonly: true });
      const row = db.query("SELECT (SELECT count(*) FROM chunks c JOIN series s ON s.sid = c.sid WHERE s.item = 'cpu') AS raw, (SELECT count(*) FROM rollups WHERE tier = 300) AS m5, (SELECT count(*) FROM rollups WHERE tier = 3600) AS h1").get() as { raw: number; m5: number; h1: number };
      db.close();
      return row;
    };
    const before = counts();
    expect(before.raw).toBeGreaterThan(0);
    await store.applyRetention(end + 86400 + 3600);
    const afterRaw = counts();
    expect(afterRaw.raw).toBeLessThan(before.raw);
    expect(store.series("pi-01", "cpu", 0, end - 3600).length).toBe(0);
    expect(store.graph("pi-01", "cpu", T0, end, end + 86400 + 3600, 3600).rows.length).toBeGreaterThan(40);
    await store.applyRetention(end + 3 * 86400 + 3600);
    expect(counts()).toMatchObject({ raw: 0, m5: 0 });
    expect(counts().h1).toBeGreaterThan(0);
    await store.applyRetention(end + 5 * 86400);
    expect(counts()).toEqual({ raw: 0, m5: 0, h1: 0 });
  });
});
