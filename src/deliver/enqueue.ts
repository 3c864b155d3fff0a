import { mkdirSync } from "node:fs";
import type { Config, SinkConfig } from "../config/schema.ts";
import type { Context } from "../context.ts";
import type { BagtowerRecord } from "../record/schema.ts";
import { BagtowerError, errorMessage, ExitCode } from "../errors.ts";
import { recordQueueInfo } from "./queue-info.ts";
import { updateSinkState } from "./sink-state.ts";
import { listSpool, removeEntries, spoolBytes, spoolDirOf, spoolFile, writeSpoolFile } from "./spool.ts";

export interface EnqueueResult {
  sink: string;
  spooled: boolean;
  /** Older records deleted to make room (drop-oldest). */
  droppedOldest: number;
}

/**
 * Spool first (SPEC §6): the record is durable on disk before anything is sent. When the sink's
 * spool would exceed spool.maxSizeKb, drop-oldest deletes the oldest records after writing the new
 * one; drop-new refuses the new record (telemetrics-client's behaviour). Either drop is counted.
 */
export function enqueue(ctx: Context, config: Config, sink: SinkConfig, record: BagtowerRecord): EnqueueResult {
  const dir = spoolDirOf(ctx, sink.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cap = config.spool.maxSizeKb * 1024;
  const before = listSpool(dir);
  // Names order the queue: after a clock jump back, a new record still sorts after the ones waiting.
  const file = spoolFile(record, Math.max(ctx.now(), (before.at(-1)?.createdMs ?? 0) + 1));
  const size = Buffer.byteLength(file.text);
  if (config.spool.whenFull === "drop-new" && spoolBytes(before) + size > cap) {
    updateSinkState(ctx, sink.name, (s) => {
      s.droppedFull++;
    });
    ctx.log.warn(`spool ${sink.name}: full (${config.spool.maxSizeKb} KB, whenFull drop-new): this record was dropped`);
    return { sink: sink.name, spooled: false, droppedOldest: 0 };
  }
  try {
    writeSpoolFile(dir, file);
  } catch (error) {
    // writeFileAtomic removed its temp file: nothing partial is left in the queue.
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new BagtowerError(`spool ${sink.name}: the record could not be written (${code}: ${errorMessage(error)}); free some space in ${dir} — the records already spooled are intact`, ExitCode.failure, { cause: error });
  }
  try {
    recordQueueInfo(dir, sink);
  } catch {
    // Only a label for `spool list`; the record itself is safe.
  }
  let total = spoolBytes(before) + size;
  const drop = [];
  for (const entry of before) {
    if (total <= cap) break;
    drop.push(entry);
    total -= entry.size;
  }
  if (drop.length > 0) {
    removeEntries(dir, drop);
    updateSinkState(ctx, sink.name, (s) => {
      s.droppedFull += drop.length;
    });
    ctx.log.warn(`spool ${sink.name}: full (${config.spool.maxSizeKb} KB): dropped the ${drop.length} oldest record(s)`);
  }
  return { sink: sink.name, spooled: true, droppedOldest: drop.length };
}
