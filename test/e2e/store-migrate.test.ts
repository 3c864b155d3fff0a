// A schema-3 database (every body kept, a JSONB row per record) migrated in place to the chunked
// store at start: progress on stderr, every sample and latest value kept, the bodies a forward
// target has not sent kept in the outbox, and a migration killed halfway goes on at the next start.
import { Database } from "bun:sqlite";
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Item } from "../../src/record/schema.ts";
import { openStore } from "../../src/serve/store.ts";
import { schema3Walk, writeSchema3Database, type Schema3Options } from "../helpers/schema3-db.ts";
import { waitFor } from "../helpers/wait.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bagtower-migrate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const OPTIONS: Schema3Options = { devices: 300, recordsPerDevice: 150, endS: Math.floor(Date.now() / 1000) - 3600, seed: 11 };

const numbers = (item: Item, ts: number) =>
  typeof item.val === "number" ? [{ key: "", ts, value: item.val }] : typeof item.val === "object" && item.val !== null ? Object.entries(item.val).map(([key, value]) => ({ key, ts, value: value as number })) : [];

/** Every walked sample of a few devices, through the store's series API, equals the walk's. */
function checkDevices(path: string, devices: number[]) {
  const walk = schema3Walk(OPTIONS);
  const store = openStore(path);
  try {
    expect(store.counts()).toEqual({ devices: OPTIONS.devices, records: OPTIONS.devices * OPTIONS.recordsPerDevice });
    for (const device of devices) {
      const records = Array.from({ length: OPTIONS.recordsPerDevice }, (_, step) => walk.recordAt(device, step));
      const id = records[0]!.deviceId!;
      for (const item of records.at(-1)!.data) {
        if (item.type === "string") continue;
        const expected = records.flatMap((r) => numbers(r.data.find((i) => i.id === item.id)!, r.unixTimestamp));
        const got = store.series(id, item.id, 0, OPTIONS.endS);
        const sort = (a: { ts: number; key: string }, b: { ts: number; key: string }) => a.ts - b.ts || a.key.localeCompare(b.key);
        expect({ id, item: item.id, rows: got.sort(sort) }).toEqual({ id, item: item.id, rows: expected.sort(sort) });
      }
    }
  } finally {
    store.close();
  }
}

test("migrated at start: progress on stderr, every sample kept, unsent bodies in the outbox, the file smaller", () => {
  const path = join(dir, "serve.db");
  writeSchema3Database(path, OPTIONS);
  const before = statSync(path).size;
  const old = new Database(path);
  old.query("INSERT INTO forward_cursor (name, seq) VALUES ('vm', ?)").run(OPTIONS.devices * OPTIONS.recordsPerDevice - 50);
  old.close();
  const lines: string[] = [];
  const store = openStore(path, undefined, { log: (line) => lines.push(line), forwardTargets: ["vm"] });
  expect(lines[0]).toMatch(/^migrating the store to compressed chunks \(schema 4\): 300 device\(s\) to go/);
  expect(lines.at(-1)).toMatch(/^migrating the store: VACUUM|^migrating the store: 300\/300 devices in [\d.]+ s; reclaiming/);
  // The 50 bodies after the target's cursor wait for it, under their old seq.
  const outbox = store.recordsAfter(0, 1000);
  expect(outbox.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => OPTIONS.devices * OPTIONS.recordsPerDevice - 49 + i));
  expect(JSON.parse(outbox[0]!.body).data.length).toBeGreaterThan(10);
  store.close();
  const db = new Database(path, { readonly: true });
  expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: 4 });
  expect(db.query("SELECT name FROM sqlite_master WHERE name IN ('records', 'points')").all()).toEqual([]);
  db.close();
  expect(statSync(path).size).toBeLessThan(before / 5);
  checkDevices(path, [0, 137, 299]);
}, 120_000);

test("a migration killed halfway goes on where it stopped at the next start, and loses nothing", async () => {
  const path = join(dir, "serve.db");
  writeSchema3Database(path, OPTIONS);
  const child = Bun.spawn([process.execPath, "-e", `const { openStore } = await import(${JSON.stringify(join(import.meta.dir, "../../src/serve/store.ts"))}); openStore(process.argv.at(-1));`, path], { stderr: "pipe", stdout: "ignore" });
  const watcher = new Database(path, { readonly: true });
  const left = () => (watcher.query("SELECT count(DISTINCT dev) AS n FROM points").get() as { n: number }).n;
  await waitFor("some devices migrated", () => {
    try {
      const n = left();
      return n > 0 && n < OPTIONS.devices - 20;
    } catch {
      return false; // the table is being written
    }
  }, 60_000, 1);
  child.kill("SIGKILL");
  await child.exited;
  const remaining = left();
  watcher.close();
  expect(remaining).toBeGreaterThan(0); // killed before the end
  const lines: string[] = [];
  openStore(path, undefined, { log: (line) => lines.push(line) }).close();
  expect(lines[0]).toMatch(new RegExp(`^migrating the store to compressed chunks \\(schema 4\\): ${remaining} device\\(s\\) to go`));
  checkDevices(path, [0, 150, 299]);
}, 120_000);
