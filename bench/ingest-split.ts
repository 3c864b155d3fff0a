#!/usr/bin/env bun
// Where serve's batched ingest spends its CPU, per record, without HTTP: JSON.parse of the body,
// parseBagtowerBody (validation, the ingest record), and store.ingest (the store's transaction,
// committed and fsynced, on a real SQLite file). The records are bench/serve.ts's batched phase:
// batches of 500, each device of 1,000 once per batch, values from bench/walk.ts. JSON.parse of the
// same bodies is the reference: a receiver of JSON pays it whatever it does next. Writes the
// "serve ingest, in process" section of bench/RESULTS.md.
// Usage: bun bench/ingest-split.ts [batches (200)] [rounds (3)]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseBagtowerBody } from "../src/serve/ingest/bagtower.ts";
import { DEFAULT_LIMITS } from "../src/serve/limits.ts";
import { openStore } from "../src/serve/store.ts";
import { fmt, machine, table, writeSection } from "./lib.ts";
import { createRecordPool } from "./record-pool.ts";

const BATCHES = Number(process.argv[2] ?? 200);
const ROUNDS = Number(process.argv[3] ?? 3);
const DEVICES = 1000;
const BATCH = 500;

// bench/serve.ts's batched phase: its record pool (the same seed), device = serial mod 1,000, each
// device's timestamps one second apart per round over the fleet.
const pool = createRecordPool(13, DEVICES);
const TS_BASE = Math.floor(Date.now() / 1000) - 6 * 86400;
let serial = 0;
function body(): string {
  const parts: string[] = [];
  for (let k = 0; k < BATCH; k++) {
    const n = serial++;
    const seq = Math.floor(n / DEVICES);
    parts.push(pool.json(n % DEVICES, TS_BASE + seq, `split-${n}`, seq));
  }
  return `[${parts.join(",")}]`;
}

interface Split {
  parse: number;
  validate: number;
  store: number;
}

/** One round: a fresh database, BATCHES batches; µs per record of each step. */
async function round(): Promise<Split> {
  const dir = mkdtempSync(join(tmpdir(), "bagtower-bench-ingest-"));
  const store = openStore(join(dir, "store.db"));
  const bodies = Array.from({ length: BATCHES }, body);
  const total: Split = { parse: 0, validate: 0, store: 0 };
  try {
    for (const text of bodies) {
      const a = performance.now();
      const json = JSON.parse(text) as unknown;
      const b = performance.now();
      const records = parseBagtowerBody(json, { limits: DEFAULT_LIMITS, nowS: Math.floor(Date.now() / 1000) });
      const c = performance.now();
      await store.ingest(records, "127.0.0.1", Date.now());
      const d = performance.now();
      total.parse += b - a;
      total.validate += c - b;
      total.store += d - c;
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const per = (ms: number) => (ms * 1000) / (BATCHES * BATCH);
  return { parse: per(total.parse), validate: per(total.validate), store: per(total.store) };
}

await round(); // warm-up: the JIT, the page cache
const rounds: Split[] = [];
for (let i = 0; i < ROUNDS; i++) {
  rounds.push(await round());
  console.error(`round ${i + 1}/${ROUNDS}: ${JSON.stringify(rounds.at(-1), (_, v: unknown) => (typeof v === "number" ? Number(v.toFixed(1)) : v))}`);
}
const median = (pick: (s: Split) => number) => rounds.map(pick).sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
const parse = median((s) => s.parse);
const validate = median((s) => s.validate);
const stored = median((s) => s.store);
const all = parse + validate + stored;
const rows = [
  ["JSON.parse of the body (reference)", fmt(parse), "1.00×", `${fmt((100 * parse) / all, 0)} %`],
  ["parseBagtowerBody: validation, ingest records", fmt(validate), `${fmt(validate / parse, 2)}×`, `${fmt((100 * validate) / all, 0)} %`],
  ["store.ingest: transaction, commit, fsync", fmt(stored), `${fmt(stored / parse, 2)}×`, `${fmt((100 * stored) / all, 0)} %`],
  ["all three", fmt(all), `${fmt(all / parse, 2)}×`, "100 %"],
];
const text = `Run ${new Date().toISOString()} on ${machine()}. Command: \`bun bench/ingest-split.ts ${BATCHES} ${ROUNDS}\`.

In one process, without HTTP: ${BATCHES} batches of ${BATCH} records (each of 1,000 devices once per batch, as bench/serve.ts's batched phase) into a fresh database, a warm-up round and then ${ROUNDS} rounds; the median of the rounds, in µs of wall time per record (one batch at a time: the fsync is not overlapped with the next batch as under load).

${table(["step", "µs per record", "vs JSON.parse", "share"], rows)}

docs/PERFORMANCE.md ("serve's ingest") says what is inside the store's part.
`;
console.log(text);
writeSection("serve ingest, in process", text);
