import { readFileSync, renameSync, unlinkSync } from "node:fs";
import { join } from "../posix-path.ts";
import { fsyncDir } from "../atomic-file.ts";
import { UsageError } from "../errors.ts";
import type { SinkInventory } from "./inventory.ts";
import { listSpool, type SpoolEntry } from "./spool.ts";

export interface RequeueResult {
  sink: string;
  requeued: string[];
}

/** The recordId inside a rejected file, or "" when it cannot be read (such a file matches by name only). */
function _recordId(entry: SpoolEntry): string {
  try {
    const id = (JSON.parse(readFileSync(entry.path, "utf8")) as { meta?: { recordId?: unknown } }).meta?.recordId;
    return typeof id === "string" ? id : "";
  } catch {
    return "";
  }
}

/**
 * An ID names a rejected record by its file name (with or without `.json`) or by a prefix of its
 * recordId (at least 4 characters, as `spool list --rejected` shows); it may match several.
 */
export function matchesId(entry: SpoolEntry, id: string, recordId: () => string): boolean {
  if (entry.name === id || entry.name === `${id}.json`) return true;
  return id.length >= 4 && recordId().startsWith(id);
}

/**
 * Moves rejected records back into their queue (after a configuration fix). Each goes in under
 * a new spool time, so the expiry counts from now and it sorts after the records already
 * waiting; its reason file is deleted. An ID that matches nothing is a usage error, and then
 * nothing is moved.
 */
export function requeue(sinks: SinkInventory[], dirOf: (sink: string) => string, ids: string[] | "all", nowMs: number): RequeueResult[] {
  // One pass: each rejected file is read at most once, and the IDs that matched are noted on the way.
  const matched = new Set<string>();
  const chosen = sinks.map((inv) => ({
    inv,
    entries: ids === "all" ? inv.rejected : inv.rejected.filter((entry) => {
      let cached: string | undefined;
      const hits = ids.filter((id) => matchesId(entry, id, () => (cached ??= _recordId(entry))));
      for (const id of hits) matched.add(id);
      return hits.length > 0;
    }),
  }));
  if (ids !== "all") {
    const missing = ids.filter((id) => !matched.has(id));
    if (missing.length > 0) throw new UsageError(`no rejected record matches ${missing.join(", ")} (see bagtower spool list --rejected); nothing was requeued`);
  }
  const out: RequeueResult[] = [];
  for (const { inv, entries } of chosen) {
    if (entries.length === 0) continue;
    const dir = dirOf(inv.sink);
    let at = Math.max(nowMs, (listSpool(dir).at(-1)?.createdMs ?? 0) + 1);
    const requeued: string[] = [];
    for (const entry of entries) {
      // Same seq, id and size; only the time part of the name changes.
      const name = `${String(at++).padStart(13, "0")}${entry.name.slice(13)}`;
      renameSync(entry.path, join(dir, name));
      try {
        unlinkSync(`${entry.path}.reason.json`);
      } catch {
        // no reason file: nothing to remove
      }
      requeued.push(name);
    }
    fsyncDir(dir);
    fsyncDir(join(dir, "rejected"));
    out.push({ sink: inv.sink, requeued });
  }
  return out;
}
