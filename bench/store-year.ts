#!/usr/bin/env bun
// A year of one device in serve's store, measured rather than extrapolated: 52,560 walked
// records (10 minutes apart over the past 365 days) ingested and sealed with the default tiers
// (raw 30 days, 5-minute rollups 90 days, 1-hour rollups 2 years), then the retention job's
// pass, then the file's size and each tier's bytes. The target (issue 12): ≤ 5 MB per device per year.
// Usage: bun bench/store-year.ts
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../src/serve/store.ts";
import { machine, table, writeSection } from "./lib.ts";
import { createWalk, STEP_S } from "./walk.ts";

const RECORDS = (365 * 86400) / STEP_S;
const dir = mkdtempSync(join(tmpdir(), "bagtower-bench-year-"));
const path = join(dir, "serve.db");
const store = openStore(path);
const nowS = Math.floor(Date.now() / 1000);
const walk = createWalk(9, 1, { start: nowS - 365 * 86400, idPrefix: "year" });
const started = performance.now();
for (let step = 0; step < RECORDS; step += 500) {
  const batch = [];
  for (let s = step; s < Math.min(RECORDS, step + 500); s++) {
    const r = walk.recordAt(0, s);
    batch.push({ deviceId: r.deviceId!, recordId: r.meta.recordId, unixTimestamp: r.unixTimestamp, data: r.data, body: () => JSON.stringify(r) });
  }
  await store.ingest(batch, null, Date.now());
}
await store.seal(Date.now(), true);
await store.applyRetention(nowS);
const loadS = (performance.now() - started) / 1000;
const rows = store.db
  .query("SELECT 'raw' AS tier, count(*) AS n, sum(length(data)) AS bytes FROM chunks UNION ALL SELECT CASE tier WHEN 300 THEN '5-minute' ELSE '1-hour' END, count(*), sum(length(data)) FROM rollups GROUP BY tier")
  .all() as { tier: string; n: number; bytes: number }[];
const pages = store.db.query("SELECT sum(pgsize) AS bytes FROM dbstat").get() as { bytes: number };
store.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
store.close();
const file = statSync(path).size;
rmSync(dir, { recursive: true, force: true });
const mb = (b: number) => (b / 1e6).toFixed(2);
const body = `Command: \`bun bench/store-year.ts\`. ${machine()}; ${RECORDS.toLocaleString("en")} records ingested and sealed in ${loadS.toFixed(1)} s (in-process).

${table(
  ["tier", "kept", "rows", "data bytes", "MB"],
  rows.map((r) => [r.tier, r.tier === "raw" ? "the last 30 days (and record ids)" : r.tier === "5-minute" ? "days 30–90 (the last 30 are read from raw)" : "days 30–365", r.n.toLocaleString("en"), r.bytes.toLocaleString("en"), mb(r.bytes)]),
)}

The file after the retention pass and a checkpoint: **${mb(file)} MB** for the device's year (SQLite pages ${mb(pages.bytes)} MB, the rest the file's header and free pages); target ≤ 5 MB: ${file <= 5e6 ? "met" : "**missed**"}.`;
console.log(body);
writeSection("serve: a year of one device in the store", body);
