import type { SinkConfig } from "../config/schema.ts";
import type { Context } from "../context.ts";
import type { RecordMeta } from "../record/schema.ts";
import { readSinkState } from "./sink-state.ts";
import { listSpool, spoolBytes, spoolDirOf } from "./spool.ts";

export type SelfMetrics = NonNullable<RecordMeta["self"]>;

/** The agent's own health for every record's meta (SPEC §6), summed over the sinks. */
export function selfMetrics(ctx: Context, sinks: SinkConfig[]): SelfMetrics {
  const out: SelfMetrics = { spoolDepth: 0, spoolBytes: 0, droppedExpired: 0, droppedFull: 0, droppedRateLimited: 0, rejected: 0, lastError: null };
  let lastErrorAt = -1;
  for (const sink of sinks) {
    const entries = listSpool(spoolDirOf(ctx, sink.name));
    const state = readSinkState(ctx, sink.name);
    out.spoolDepth += entries.length;
    out.spoolBytes += spoolBytes(entries);
    out.droppedExpired += state.droppedExpired;
    out.droppedFull += state.droppedFull;
    out.droppedRateLimited += state.droppedRateLimited;
    out.rejected += state.rejected;
    if (state.lastError && (state.lastErrorAtMs ?? 0) > lastErrorAt) {
      out.lastError = `${sink.name}: ${state.lastError}`;
      lastErrorAt = state.lastErrorAtMs ?? 0;
    }
  }
  return out;
}
