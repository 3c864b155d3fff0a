import { Database } from "bun:sqlite";
import { decodeChunk } from "../../src/serve/tsdb/chunk.ts";
import { recordIdHash } from "../../src/serve/tsdb/record-id-hash.ts";

/**
 * The records a receiver's database holds, as the store keeps them: a hash of each recordId, in
 * the head (not sealed yet) or as the samples of each device's record series. Counts per hash, so
 * a test can see a record stored twice.
 */
export function storedRecordHashes(dbPath: string): Map<number, number> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const counts = new Map<number, number>();
    const add = (h: number) => counts.set(h, (counts.get(h) ?? 0) + 1);
    for (const { rid } of db.query("SELECT rid FROM head").all() as { rid: number }[]) add(rid);
    for (const { data } of db.query("SELECT c.data FROM chunks c JOIN series s ON s.sid = c.sid WHERE s.item = ''").all() as { data: Uint8Array }[]) {
      for (const h of decodeChunk(data).values) add(h);
    }
    return counts;
  } finally {
    db.close();
  }
}

/** How many times the database holds the record with this id (0: lost). */
export const timesStored = (hashes: Map<number, number>, recordId: string) => hashes.get(recordIdHash(recordId)) ?? 0;
