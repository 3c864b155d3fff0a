import type { Config } from "../config/schema.ts";
import type { Context } from "../context.ts";
import type { BagtowerRecord } from "../record/schema.ts";
import { enqueue, type EnqueueResult } from "./enqueue.ts";
import { flushSink, type FlushResult } from "./flush.ts";
import { acquireFlushLock, lockHolder } from "./lock.ts";
import { encodeOptions } from "./encode-options.ts";

/** A second run waits this long for the flush lock, then leaves its record to the holder (SPEC §6). */
export const LOCK_WAIT_MS = 10_000;

export function flushLockPath(ctx: Context): string {
  return ctx.paths.flushLock;
}

export interface FlushAllResult {
  /** null when another process held the flush lock for the whole wait. */
  results: FlushResult[] | null;
  lockedBy?: number;
}

/** Flushes every sink under the flush lock. `max` caps records per sink (push), Infinity for `spool flush`. */
export async function flushAll(ctx: Context, config: Config, max: number, waitMs = LOCK_WAIT_MS, only?: string): Promise<FlushAllResult> {
  const path = flushLockPath(ctx);
  const lock = await acquireFlushLock(ctx, path, waitMs);
  if (!lock) return { results: null, lockedBy: lockHolder(path)?.pid };
  try {
    const options = encodeOptions(ctx, config);
    const results: FlushResult[] = [];
    for (const sink of config.sinks) {
      if (only !== undefined && sink.name !== only) continue;
      results.push(await flushSink(ctx, config, sink, options, max));
    }
    return { results };
  } finally {
    lock.release();
  }
}

export interface PushResult extends FlushAllResult {
  record: BagtowerRecord;
  spooled: EnqueueResult[];
  periodSeconds?: number;
}

/** collect → spool every sink's copy durably → flush (SPEC §6). */
export async function runPush(ctx: Context, config: Config, record: BagtowerRecord): Promise<PushResult> {
  const spooled = config.sinks.map((sink) => enqueue(ctx, config, sink, record));
  const flushed = await flushAll(ctx, config, config.flush.maxPerRun);
  const periodSeconds = flushed.results?.find((r) => r.periodSeconds !== undefined)?.periodSeconds;
  return { record, spooled, ...flushed, ...(periodSeconds !== undefined ? { periodSeconds } : {}) };
}
